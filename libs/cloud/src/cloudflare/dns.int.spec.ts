import { CloudflareDns } from './dns';
import { FakeCloudflare } from './test-support/fake-cloudflare';

describe('DNS on Cloudflare (the official SDK against a fake held to the official document)', () => {
  let cloudflare: FakeCloudflare;
  beforeEach(async () => {
    cloudflare = await FakeCloudflare.start();
  });
  afterEach(async () => {
    expect(cloudflare.violations).toEqual([]);
    await cloudflare.close();
  });

  const dnsOf = (fake: FakeCloudflare, timeoutMs = 2000) =>
    new CloudflareDns({ token: fake.token, baseUrl: fake.url, timeoutMs, retries: 3, createRetryDelayMs: 10 });
  const marker = 'platform:inst1 domain:6f0c1c3e-5d7b-4f0e-9a39-1f9a7f1e2a10';
  const a = (content: string) => ({ type: 'A' as const, content });

  it('finds the longest zone a hostname is in, and none for a hostname outside them', async () => {
    cloudflare.addZone('example.com');
    const deep = cloudflare.addZone('eu.example.com');
    const dns = dnsOf(cloudflare);
    expect(await dns.findZone('shop.eu.example.com')).toEqual({ id: deep.id, name: 'eu.example.com' });
    expect(await dns.findZone('*.eu.example.com')).toEqual({ id: deep.id, name: 'eu.example.com' });
    expect(await dns.findZone('shop.example.org')).toBeNull();
    expect(await dns.findZone('notexample.com')).toBeNull();
  });

  it('sets one A record per server, marked, follows changes, and never touches records it did not make', async () => {
    const zone = cloudflare.addZone('example.com');
    const theirs = cloudflare.addRecord(zone, { type: 'A', name: 'shop.example.com', content: '203.0.113.9' });
    const other = cloudflare.addRecord(zone, { type: 'TXT', name: 'shop.example.com', content: 'v=spf1 -all' });
    const dns = dnsOf(cloudflare);
    await dns.setRecords(zone, 'shop.example.com', [a('127.0.0.2'), a('127.0.0.3')], false, marker);
    const ours = () =>
      cloudflare
        .recordsOf('shop.example.com')
        .filter((record) => record.comment === marker)
        .map((record) => [record.type, record.content, record.proxied]);
    expect(ours().sort()).toEqual([
      ['A', '127.0.0.2', false],
      ['A', '127.0.0.3', false],
    ]);
    // Again: nothing changes (no write at all).
    const writes = cloudflare.writes().length;
    await dns.setRecords(zone, 'shop.example.com', [a('127.0.0.2'), a('127.0.0.3')], false, marker);
    expect(cloudflare.writes().length).toBe(writes);
    // A server goes, another comes, the domain becomes proxied.
    await dns.setRecords(zone, 'shop.example.com', [a('127.0.0.3'), a('127.0.0.4')], true, marker);
    expect(ours().sort()).toEqual([
      ['A', '127.0.0.3', true],
      ['A', '127.0.0.4', true],
    ]);
    await dns.setRecords(zone, 'shop.example.com', [], true, marker);
    expect(ours()).toEqual([]);
    expect(cloudflare.records).toEqual([theirs, other]);
  });

  it('sets a zone on flexible or off to strict (no redirect loop behind the proxy), or fails naming the fix', async () => {
    const flexible = cloudflare.addZone('flexible.test', 'flexible');
    const full = cloudflare.addZone('full.test', 'full');
    const dns = dnsOf(cloudflare);
    expect(await dns.ensureStrictSsl(flexible)).toBe('strict');
    expect(flexible.ssl).toBe('strict');
    expect(await dns.ensureStrictSsl(full)).toBe('full');
    expect(full.ssl).toBe('full');
    const off = cloudflare.addZone('off.test', 'off');
    cloudflare.mayEditZoneSettings = false;
    await expect(dns.ensureStrictSsl(off)).rejects.toThrow(/SSL\/TLS mode "off".*Full \(strict\)/);
    expect(off.ssl).toBe('off');
  });

  it('retries 429, 5xx and timeouts with backoff and still makes each record exactly once', async () => {
    const zone = cloudflare.addZone('example.com');
    const dns = dnsOf(cloudflare, 300);
    cloudflare.fail({ operationId: 'dns-records-for-a-zone-list-dns-records', answer: 429 });
    cloudflare.fail({ operationId: 'dns-records-for-a-zone-create-dns-record', answer: 503 });
    // A create Cloudflare carried out although its caller never heard so: retried blindly, it would be made twice.
    cloudflare.fail({
      operationId: 'dns-records-for-a-zone-create-dns-record',
      answer: 'timeout',
      afterApplying: true,
    });
    cloudflare.fail({ operationId: 'dns-records-for-a-zone-create-dns-record', answer: 500, afterApplying: true });
    await dns.setRecords(zone, 'shop.example.com', [a('127.0.0.2'), a('127.0.0.3')], false, marker);
    expect(
      cloudflare
        .recordsOf('shop.example.com')
        .map((record) => record.content)
        .sort(),
    ).toEqual(['127.0.0.2', '127.0.0.3']);
    const outcomes = cloudflare.calls.map((call) => call.outcome);
    expect(outcomes).toEqual(expect.arrayContaining([429, 503, 'timeout', 500]));
  });

  it('gives up after its retries, saying what Cloudflare answered', async () => {
    const zone = cloudflare.addZone('example.com');
    cloudflare.fail({ answer: 502, times: 100 });
    await expect(
      dnsOf(cloudflare).setRecords(zone, 'shop.example.com', [a('127.0.0.2')], false, marker),
    ).rejects.toThrow(/502/);
    expect(cloudflare.records).toEqual([]);
  });
});
