import { DomainError } from '@platform/contracts';
import { FakeCloudflare } from './test-support/fake-cloudflare';
import { verifyCloudflareToken } from './verify-token';

describe('verifying a Cloudflare token against the official document', () => {
  let fake: FakeCloudflare;
  beforeEach(async () => {
    fake = await FakeCloudflare.start();
  });
  afterEach(async () => {
    expect(fake.violations).toEqual([]);
    await fake.close();
  });

  it('accepts an active token and names it by its id, never its value', async () => {
    const account = await verifyCloudflareToken(fake.token, { baseUrl: fake.url });
    expect(account).toContain(fake.tokenId);
    expect(account).not.toContain(fake.token);
  });

  it("refuses a token Cloudflare does not know, with Cloudflare's reason and what to do", async () => {
    const refusal = await verifyCloudflareToken('a'.repeat(40), { baseUrl: fake.url }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DomainError);
    expect((refusal as DomainError).code).toBe('unauthorized');
    expect((refusal as DomainError).message).toMatch(/Invalid API Token.*create an API token/);
  });

  it('refuses a token that is no longer active', async () => {
    fake.tokenStatus = 'disabled';
    await expect(verifyCloudflareToken(fake.token, { baseUrl: fake.url })).rejects.toThrow(/disabled, not active/);
  });

  it('says Cloudflare is unavailable when it cannot be reached', async () => {
    await fake.close();
    const refusal = await verifyCloudflareToken(fake.token, { baseUrl: fake.url }).catch((error: unknown) => error);
    expect((refusal as DomainError).code).toBe('unavailable');
    fake = await FakeCloudflare.start();
  });
});
