import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

/** Who sent a request, as far as it can be believed: proxies' headers count only when a trusted proxy sent them. */
export interface ClientOrigin {
  readonly address: string;
  /** Cloudflare's `CF-IPCountry`, from a trusted proxy only. */
  readonly country: string | null;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) is 127.0.0.1. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

const COUNTRY = /^[A-Z0-9]{2}$/;

/**
 * The client's address: `CF-Connecting-IP`, then `X-Real-IP`, then `X-Forwarded-For` (read from the right, past
 * the trusted proxies, so an address the client wrote itself at the left is never taken), then the socket's
 * peer. A peer that is not a trusted proxy is the client, whatever its headers say.
 */
export function clientOrigin(
  peer: string | undefined,
  headers: IncomingHttpHeaders,
  trustedProxies: ReadonlySet<string>,
): ClientOrigin {
  const socketAddress = plainAddress(peer ?? '');
  if (!trustedProxies.has(socketAddress)) return { address: socketAddress, country: null };
  const countryHeader = header(headers, 'cf-ipcountry')?.toUpperCase();
  const country = countryHeader && COUNTRY.test(countryHeader) ? countryHeader : null;
  for (const name of ['cf-connecting-ip', 'x-real-ip']) {
    const value = header(headers, name);
    if (value && isIP(value)) return { address: plainAddress(value), country };
  }
  const forwarded = header(headers, 'x-forwarded-for');
  if (forwarded) {
    const hops = forwarded
      .split(',')
      .map((hop) => plainAddress(hop.trim()))
      .filter((hop) => isIP(hop));
    for (let index = hops.length - 1; index >= 0; index--) {
      if (!trustedProxies.has(hops[index]) || index === 0) return { address: hops[index], country };
    }
  }
  return { address: socketAddress, country };
}
