import Cloudflare from 'cloudflare';
import { setTimeout as sleep } from 'node:timers/promises';

import { CLOUDFLARE_API_URL } from './verify-token';

/** A zone of the account (libs/domains' CloudflareZone). */
export interface CloudflareZone {
  readonly id: string;
  readonly name: string;
}

/** A record the platform wants for a hostname (libs/domains' WantedRecord). */
export interface CloudflareWantedRecord {
  readonly type: 'A' | 'AAAA';
  readonly content: string;
}

export interface CloudflareDnsOptions {
  readonly token: string;
  readonly baseUrl?: string;
  /** Per request; a request that takes longer is retried like a 5xx. */
  readonly timeoutMs?: number;
  /** Retries of a request Cloudflare answered 429 or 5xx, or not at all, with the SDK's backoff. */
  readonly retries?: number;
  /** Before creating a record again after a failed create (which may have succeeded), doubling. */
  readonly createRetryDelayMs?: number;
}

type RecordType = CloudflareWantedRecord['type'];
interface MarkedRecord {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly content: string;
  readonly proxied: boolean;
}

/**
 * DNS on Cloudflare through its official SDK: the DnsProvider port of libs/domains (records it makes carry a
 * marker, and only records carrying it are changed or deleted). Reads, edits and deletes are retried by the SDK (429, 5xx,
 * timeouts, with backoff). A create is never retried blindly: one that failed may have been made all the same, so
 * the records are read again and only a record still missing is created, so retries never leave a duplicate.
 */
export class CloudflareDns {
  private readonly client: Cloudflare;
  private readonly creates: Cloudflare;

  constructor(private readonly options: CloudflareDnsOptions) {
    const common = {
      apiToken: options.token,
      baseURL: options.baseUrl ?? CLOUDFLARE_API_URL,
      timeout: options.timeoutMs ?? 15_000,
    };
    this.client = new Cloudflare({ ...common, maxRetries: options.retries ?? 4 });
    this.creates = new Cloudflare({ ...common, maxRetries: 0 });
  }

  async findZone(hostname: string): Promise<CloudflareZone | null> {
    const zones: CloudflareZone[] = [];
    for await (const zone of this.client.zones.list({ per_page: 50 })) zones.push({ id: zone.id, name: zone.name });
    // The longest zone name the hostname is, or ends with.
    const name = hostname.replace(/^\*\./, '');
    const covering = zones.filter((zone) => name === zone.name || name.endsWith(`.${zone.name}`));
    return covering.sort((a, b) => b.name.length - a.name.length)[0] ?? null;
  }

  async setRecords(
    zone: CloudflareZone,
    hostname: string,
    records: readonly CloudflareWantedRecord[],
    proxied: boolean,
    marker: string,
  ): Promise<void> {
    const existing = await this.marked(zone, hostname, marker);
    const kept = new Set<string>();
    for (const record of existing) {
      const key = `${record.type} ${record.content}`;
      const wanted = records.some((each) => `${each.type} ${each.content}` === key);
      if (!wanted || kept.has(key)) {
        await this.client.dns.records.delete(record.id, { zone_id: zone.id });
        continue;
      }
      kept.add(key);
      if (record.proxied !== proxied) {
        await this.client.dns.records.edit(record.id, {
          zone_id: zone.id,
          type: record.type as RecordType,
          name: hostname,
          content: record.content,
          ttl: 1,
          proxied,
        });
      }
    }
    for (const record of records) {
      if (!kept.has(`${record.type} ${record.content}`)) await this.create(zone, hostname, record, proxied, marker);
    }
  }

  /**
   * Makes the zone's SSL/TLS mode `strict` when it is `off` or `flexible`: behind Cloudflare's proxy those reach the
   * origin over plain HTTP, which the platform's edge redirects to HTTPS, a loop. Resolves to the mode found;
   * rejects naming the fix when the token may not change it.
   */
  async ensureStrictSsl(zone: CloudflareZone): Promise<string> {
    const setting = (await this.client.zones.settings.get('ssl', { zone_id: zone.id })) as { value?: unknown };
    const mode = String(setting.value);
    if (mode !== 'off' && mode !== 'flexible') return mode;
    try {
      await this.client.zones.settings.edit('ssl', { zone_id: zone.id, value: 'strict' });
    } catch (error) {
      const status = (error as { status?: unknown } | null)?.status;
      if (status === 401 || status === 403) {
        throw new Error(
          `the zone ${zone.name} is on SSL/TLS mode "${mode}", which loops with the platform's HTTPS redirect, and ` +
            'the token may not change it: set SSL/TLS to "Full (strict)" in Cloudflare (SSL/TLS → Overview), or ' +
            'give the token "Zone Settings: Edit", then add the domain again',
          { cause: error },
        );
      }
      throw error;
    }
    return 'strict';
  }

  private async create(
    zone: CloudflareZone,
    hostname: string,
    record: CloudflareWantedRecord,
    proxied: boolean,
    marker: string,
  ) {
    const attempts = (this.options.retries ?? 4) + 1;
    let delayMs = this.options.createRetryDelayMs ?? 500;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.creates.dns.records.create({
          zone_id: zone.id,
          type: record.type,
          name: hostname,
          content: record.content,
          ttl: 1,
          proxied,
          comment: marker,
        });
        return;
      } catch (error) {
        if (attempt >= attempts || !retryable(error)) throw error;
        await sleep(delayMs);
        delayMs *= 2;
        const now = await this.marked(zone, hostname, marker);
        if (now.some((each) => each.type === record.type && each.content === record.content)) return;
      }
    }
  }

  /** The hostname's A and AAAA records carrying the marker: the only ones this platform may change. */
  private async marked(zone: CloudflareZone, hostname: string, marker: string): Promise<MarkedRecord[]> {
    const found: MarkedRecord[] = [];
    for await (const record of this.client.dns.records.list({
      zone_id: zone.id,
      comment: { exact: marker },
      per_page: 100,
    })) {
      if (record.comment !== marker || record.name !== hostname) continue;
      if (record.type !== 'A' && record.type !== 'AAAA') continue;
      found.push({
        id: record.id,
        type: record.type,
        name: record.name,
        content: record.content ?? '',
        proxied: record.proxied ?? false,
      });
    }
    return found;
  }
}

/** What may pass on a second try: Cloudflare busy or failing, or no answer at all. */
function retryable(error: unknown): boolean {
  // The SDK's errors carry the HTTP status, none for a connection that failed or timed out.
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status !== 'number' || status === 429 || status >= 500;
}
