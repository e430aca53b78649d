import { AddDomainRequestSchema, checkHostname } from './domains';

describe('domain hostnames', () => {
  it.each([
    ['shop.example.com', 'shop.example.com'],
    ['Shop.Example.COM', 'shop.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['*.example.com', '*.example.com'],
    ['*.bücher.de', '*.xn--bcher-kva.de'],
    ['a-b.c0.io', 'a-b.c0.io'],
  ])('takes %s as %s', (typed, hostname) => {
    expect(checkHostname(typed)).toEqual({ hostname });
  });

  it.each([
    ['shop example.com', 'must not contain spaces'],
    [' shop.example.com', 'must not contain spaces'],
    ['shop..example.com', 'empty label'],
    ['shop.example.com.', 'must not end with a dot'],
    [`${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(56)}.com`, 'at most 253'],
    ['*.*.x', 'one wildcard'],
    ['shop.*.example.com', 'one wildcard'],
    ['*shop.example.com', 'one wildcard'],
    ['192.168.1.10', 'not an IP address'],
    ['0x7f.1', 'not an IP address'],
    ['::1', 'not an IP address'],
    ['localhost', 'full domain name'],
    ['-shop.example.com', 'invalid label'],
    ['shop.example.com/path', 'not a valid hostname'],
    ['user@example.com', 'not a valid hostname'],
    ['', 'must not be empty'],
  ])('refuses %j, saying it %s', (typed, problem) => {
    const checked = checkHostname(typed);
    expect(checked).toEqual({ problem: expect.stringContaining(problem) });
  });

  it('refuses a 300-character hostname in a request with the reason on its field', () => {
    const result = AddDomainRequestSchema.safeParse({ hostname: `${'a'.repeat(63)}.`.repeat(4) + 'a'.repeat(44) });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['hostname'], message: expect.stringContaining('253') });
  });
});
