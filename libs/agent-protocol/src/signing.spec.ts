import { AgentAuthHeaders, EMPTY_BODY_SHA256 } from '@platform/contracts';
import { RequestVerifier, sha256Hex, signRequest } from './signing';

const SECRET = 'a'.repeat(64);
const request = { method: 'POST', pathWithQuery: '/v1/containers?x=1', bodySha256: sha256Hex('{"name":"web"}') };

/** A verifier that started an hour before the clock's time. */
function verifierAt(clock: { now: number }) {
  return new RequestVerifier(SECRET, { windowMs: 30_000, now: () => clock.now, startedAt: clock.now - 3_600_000 });
}

describe('request signing', () => {
  it('accepts a request signed with the secret, once', () => {
    const clock = { now: 1_700_000_000_000 };
    const verifier = verifierAt(clock);
    const headers = signRequest(SECRET, request, { now: clock.now });
    expect(verifier.verify({ ...request, headers })).toEqual({ ok: true, bodySha256: request.bodySha256 });
    expect(verifier.verify({ ...request, headers })).toMatchObject({ ok: false, reason: 'replayed' });
  });

  it('hashes the empty body as the contract says', () => {
    expect(sha256Hex('')).toBe(EMPTY_BODY_SHA256);
  });

  it.each([
    ['method', { ...request, method: 'DELETE' }],
    ['path', { ...request, pathWithQuery: '/v1/containers?x=2' }],
    ['body', { ...request, bodySha256: sha256Hex('{"name":"evil"}') }],
  ])('refuses a request whose %s differs from what was signed', (_what, tampered) => {
    const clock = { now: 1_700_000_000_000 };
    const headers = signRequest(SECRET, request, { now: clock.now });
    const signedBody =
      tampered.bodySha256 === request.bodySha256
        ? headers
        : { ...headers, [AgentAuthHeaders.contentSha256]: tampered.bodySha256 };
    expect(
      verifierAt(clock).verify({ method: tampered.method, pathWithQuery: tampered.pathWithQuery, headers: signedBody }),
    ).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a request signed with another secret, or with its timestamp changed', () => {
    const clock = { now: 1_700_000_000_000 };
    const verifier = verifierAt(clock);
    expect(
      verifier.verify({ ...request, headers: signRequest('b'.repeat(64), request, { now: clock.now }) }),
    ).toMatchObject({ reason: 'bad_signature' });
    const headers = signRequest(SECRET, request, { now: clock.now - 60_000 });
    expect(
      verifier.verify({ ...request, headers: { ...headers, [AgentAuthHeaders.timestamp]: String(clock.now) } }),
    ).toMatchObject({
      reason: 'bad_signature',
    });
  });

  it('refuses requests signed outside the window, in the past or the future', () => {
    const clock = { now: 1_700_000_000_000 };
    const verifier = verifierAt(clock);
    expect(
      verifier.verify({ ...request, headers: signRequest(SECRET, request, { now: clock.now - 30_001 }) }),
    ).toMatchObject({ reason: 'stale' });
    expect(
      verifier.verify({ ...request, headers: signRequest(SECRET, request, { now: clock.now + 30_001 }) }),
    ).toMatchObject({ reason: 'stale' });
    expect(
      verifier.verify({ ...request, headers: signRequest(SECRET, request, { now: clock.now - 29_000 }) }),
    ).toMatchObject({ ok: true });
  });

  it('keeps refusing a replay for the whole window, and a replay after it is stale', () => {
    const clock = { now: 1_700_000_000_000 };
    const verifier = verifierAt(clock);
    const headers = signRequest(SECRET, request, { now: clock.now });
    expect(verifier.verify({ ...request, headers }).ok).toBe(true);
    clock.now += 29_999;
    expect(verifier.verify({ ...request, headers })).toMatchObject({ reason: 'replayed' });
    clock.now += 2;
    expect(verifier.verify({ ...request, headers })).toMatchObject({ reason: 'stale' });
  });

  it('refuses a request signed before it started, so a request captured before a restart cannot be replayed', () => {
    const clock = { now: 1_700_000_000_000 };
    const captured = signRequest(SECRET, request, { now: clock.now - 1 });
    const restarted = new RequestVerifier(SECRET, { windowMs: 30_000, now: () => clock.now });
    expect(restarted.verify({ ...request, headers: captured })).toMatchObject({
      ok: false,
      reason: 'signed_before_start',
    });
    expect(restarted.verify({ ...request, headers: signRequest(SECRET, request, { now: clock.now }) }).ok).toBe(true);
  });

  it('refuses unsigned and malformed requests', () => {
    const verifier = new RequestVerifier(SECRET);
    expect(verifier.verify({ ...request, headers: {} })).toMatchObject({ reason: 'missing_headers' });
    const headers = signRequest(SECRET, request);
    expect(verifier.verify({ ...request, headers: { ...headers, [AgentAuthHeaders.signature]: 'zz' } })).toMatchObject({
      reason: 'malformed_headers',
    });
    expect(verifier.verify({ ...request, headers: { ...headers, [AgentAuthHeaders.nonce]: 'short' } })).toMatchObject({
      reason: 'malformed_headers',
    });
  });

  it('signs every request with a fresh nonce', () => {
    const first = signRequest(SECRET, request);
    const second = signRequest(SECRET, request);
    expect(first[AgentAuthHeaders.nonce]).not.toBe(second[AgentAuthHeaders.nonce]);
  });
});
