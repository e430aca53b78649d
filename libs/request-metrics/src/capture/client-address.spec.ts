import { clientOrigin } from './client-address';

const proxies = new Set(['127.0.0.1', '10.0.0.5']);

describe('the client address of a request', () => {
  it('is the peer when the peer is no trusted proxy, whatever its headers say', () => {
    const spoofed = {
      'x-forwarded-for': '203.0.113.9',
      'x-real-ip': '203.0.113.8',
      'cf-connecting-ip': '203.0.113.7',
      'cf-ipcountry': 'FR',
    };
    expect(clientOrigin('192.0.2.44', spoofed, proxies)).toEqual({ address: '192.0.2.44', country: null });
  });

  it('takes CF-Connecting-IP, then X-Real-IP, then X-Forwarded-For from a trusted proxy', () => {
    const all = { 'cf-connecting-ip': '203.0.113.7', 'x-real-ip': '203.0.113.8', 'x-forwarded-for': '203.0.113.9' };
    expect(clientOrigin('127.0.0.1', all, proxies).address).toBe('203.0.113.7');
    const { 'cf-connecting-ip': _cf, ...withoutCloudflare } = all;
    expect(clientOrigin('127.0.0.1', withoutCloudflare, proxies).address).toBe('203.0.113.8');
    expect(clientOrigin('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }, proxies).address).toBe('203.0.113.9');
    expect(clientOrigin('127.0.0.1', {}, proxies).address).toBe('127.0.0.1');
  });

  it('reads X-Forwarded-For from the right, so an address the client wrote at its left is not taken', () => {
    const chain = { 'x-forwarded-for': '198.51.100.1, 203.0.113.9, 10.0.0.5' };
    expect(clientOrigin('127.0.0.1', chain, proxies).address).toBe('203.0.113.9');
    expect(clientOrigin('127.0.0.1', { 'x-forwarded-for': '10.0.0.5' }, proxies).address).toBe('10.0.0.5');
  });

  it('ignores headers that hold no address, and sees an IPv4 peer of a dual-stack socket as IPv4', () => {
    expect(clientOrigin('::ffff:127.0.0.1', { 'cf-connecting-ip': 'not an address' }, proxies).address).toBe(
      '127.0.0.1',
    );
  });

  it('believes CF-IPCountry from a trusted proxy only', () => {
    expect(clientOrigin('127.0.0.1', { 'cf-ipcountry': 'de' }, proxies).country).toBe('DE');
    expect(clientOrigin('127.0.0.1', { 'cf-ipcountry': '<script>' }, proxies).country).toBeNull();
  });
});
