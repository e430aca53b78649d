import { lookup } from 'node:dns/promises';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { DomainError } from '@platform/contracts';

/** Resolves a host name to every address it has, as the system resolver (and so git's curl) would. */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

export const systemResolver: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Addresses a connection made for a tenant (a git source, a webhook) must never reach: this machine, private networks, link-local (cloud
 * metadata at 169.254.169.254 among them), carrier-grade NAT (some clouds' metadata), multicast and reserved.
 */
const INTERNAL_IPV4 = new BlockList();
/**
 * IPv6 ranges apart: a BlockList holding `::ffff:0:0/96` matches every IPv4 address checked against it, so one list
 * for both refused every public IPv4 address too.
 */
const INTERNAL_IPV6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  INTERNAL_IPV4.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  // IPv4-mapped and NAT64 addresses lead to IPv4 ones; refused rather than unwrapped.
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL_IPV6.addSubnet(network, prefix, 'ipv6');

function isInternalAddress(address: string): boolean {
  if (isIPv4(address)) return INTERNAL_IPV4.check(address, 'ipv4');
  if (isIPv6(address)) return INTERNAL_IPV6.check(address, 'ipv6');
  return true;
}

/** `localhost` and its subdomains are this machine whatever DNS says (RFC 6761); curl resolves them so itself. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function privateAddressRefusal(hostname: string): DomainError {
  return new DomainError('validation_failed', `${hostname} refused: private address`, [
    { path: 'url', reason: 'private_address' },
  ]);
}

export interface AddressPolicy {
  readonly resolve?: ResolveHost;
  /** Lets this machine's addresses (127.0.0.0/8, `*.localhost`) through: for tests and development only. */
  readonly allowLoopback?: boolean;
  /** The `reason` of the refusal when the name does not resolve (each caller's stable detail). */
  readonly unresolvedReason?: string;
}

const isLoopback = (address: string) => (isIPv4(address) && address.startsWith('127.')) || address === '::1';

/** Every address a name has; an address literal (`10.0.0.1`, `[::1]` as URLs write it) is its own. */
async function addressesOf(host: string, policy: AddressPolicy): Promise<readonly string[]> {
  if (isIPv4(host) || isIPv6(host)) return [host];
  return (policy.resolve ?? systemResolver)(host).catch(() => {
    throw new DomainError('unavailable', `${host} could not be resolved`, [
      { path: 'url', reason: policy.unresolvedReason ?? 'unresolvable' },
    ]);
  });
}

/**
 * The public address to connect to for `hostname`: resolved once, every address checked, so that a name that
 * also points inside is refused and the connection then goes to the address checked (no second lookup that DNS
 * could answer differently).
 */
export async function publicAddressOf(hostname: string, policy: AddressPolicy = {}): Promise<string> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (isLocalhostName(host)) {
    if (policy.allowLoopback) return '127.0.0.1';
    throw privateAddressRefusal(host);
  }
  const addresses = await addressesOf(host, policy);
  const refused = (address: string) => isInternalAddress(address) && !(policy.allowLoopback && isLoopback(address));
  if (addresses.length === 0 || addresses.some(refused)) throw privateAddressRefusal(host);
  return addresses[0];
}

export interface OutboundUrlPolicy {
  /** This machine's addresses are allowed, over http too: development and tests only (WEBHOOKS_ALLOW_LOOPBACK_HTTP). */
  readonly allowLoopbackHttp: boolean;
  readonly resolve?: ResolveHost;
}

/**
 * Where a URL a tenant gave (a webhook's) may be reached: the address its host resolves to, refused when it is
 * private, loopback, link-local (cloud metadata among them) or otherwise internal, and when the URL is http://
 * (allowed only for loopback, by the instance's development setting). Webhooks check it when an endpoint is saved
 * and before every attempt, which then connects to the address returned.
 */
export async function checkOutboundUrl(url: string, policy: OutboundUrlPolicy): Promise<string> {
  const parsed = new URL(url);
  const address = await publicAddressOf(parsed.hostname, {
    allowLoopback: policy.allowLoopbackHttp,
    resolve: policy.resolve,
  });
  if (parsed.protocol !== 'https:' && !(policy.allowLoopbackHttp && isLoopback(address))) {
    throw new DomainError('validation_failed', `${url} refused: only https:// URLs are allowed`, [
      { path: 'url', reason: 'https_required' },
    ]);
  }
  return address;
}
