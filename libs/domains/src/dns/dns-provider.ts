import type { DnsRecord } from '@platform/contracts';

/** A record a DNS provider is asked to hold for a hostname. */
export type WantedRecord = Pick<DnsRecord, 'type' | 'content'>;

export interface DnsZone {
  readonly id: string;
  readonly name: string;
}

/**
 * The port the domain process keeps DNS through. Records it makes carry `marker` (see recordMarker) and it only
 * ever changes or deletes records carrying it: a record someone else made in the zone is never touched.
 */
export interface DnsProvider {
  /** The zone holding the hostname (the longest zone name it ends with), or null when the account has none. */
  findZone(hostname: string): Promise<DnsZone | null>;
  /**
   * Leaves exactly `records` (A and AAAA) for the hostname among the records carrying `marker`: creates what is
   * missing, fixes the proxy flag, deletes the rest. Safe to repeat after any failure: it never makes a duplicate.
   */
  /** Makes a proxied zone's SSL mode safe for HTTPS redirects (strict), or rejects saying what to change. */
  ensureStrictSsl(zone: DnsZone): Promise<string>;
  setRecords(
    zone: DnsZone,
    hostname: string,
    records: readonly WantedRecord[],
    proxied: boolean,
    marker: string,
  ): Promise<void>;
}

/** The comment marking a record as this instance's, for one domain. */
export function recordMarker(instanceId: string, domainId: string): string {
  return `platform:${instanceId} domain:${domainId}`;
}
