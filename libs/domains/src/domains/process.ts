import { isIPv6 } from 'node:net';
import type { DeploymentTarget, DnsRecord, MessageMetadata } from '@platform/contracts';
import { SweptProcess, type EventStore, type LogSink } from '@platform/event-store';
import { nameBasedUuid, stepMetadata, type DeciderCommandHandler } from '@platform/service-kit';
import { recordMarker, type DnsProvider } from '../dns/dns-provider';
import type { ServicePlacements } from '../placements/placements';
import {
  domainStreamId,
  type DomainCommand,
  type DomainEvent,
  type DomainProgressCommand,
  type DomainState,
  type KnownDomain,
} from './decider';
import { domainsProjection } from './projection';

/** The DNS provider of a workspace, or null when it has none saved. */
export type DnsProviderOf = (workspaceId: string) => Promise<DnsProvider | null>;

export interface DomainProcessOptions {
  readonly store: EventStore;
  readonly commands: DeciderCommandHandler<DomainCommand, DomainEvent, DomainState>;
  readonly placements: ServicePlacements;
  readonly dnsProviderOf: DnsProviderOf;
  /** Names this instance in the records it makes (see recordMarker). */
  readonly instanceId: string;
  readonly pollMs?: number;
  readonly logger: LogSink;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** `.localhost` names resolve to this machine: they need no DNS records. */
export function servedWithoutDns(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

/**
 * The process manager of domains, whose state is each domain's event stream: it keeps the domain's DNS records on
 * the servers its service runs on (following every deployment and destroyed server), and removes them with the
 * domain. Whichever replica holds the lease carries every domain on from its last recorded step.
 */
export class DomainProcess extends SweptProcess<string> {
  constructor(private readonly options: DomainProcessOptions) {
    super({
      name: 'domains',
      store: options.store,
      pending: () => pendingDomains(options.store),
      keyOf: (domainId) => domainId,
      projections: [domainsProjection.name],
      pollMs: options.pollMs,
      logger: options.logger,
    });
  }

  async advance(domainId: string): Promise<void> {
    const { state, events } = await this.options.commands.load(domainStreamId(domainId));
    const metadata = stepMetadata(events[0], 'dns');
    if (state.status === 'absent' || state.status === 'removed' || !metadata) return;
    if (state.status === 'removing') {
      await this.setRecords(domainId, state, []);
      await this.record(metadata, nameBasedUuid(`${domainId}:removed`), {
        type: 'RecordDomainRemoved',
        data: { domainId },
      });
      return;
    }
    const targets = await this.options.placements.targetsOf(state.serviceId);
    const records = targets.map(recordOf);
    try {
      const zone = await this.setRecords(domainId, state, records);
      if (zone !== null) {
        await this.record(metadata, nameBasedUuid(`${domainId}:records:${events.length}`), {
          type: 'RecordDnsRecordsSet',
          data: { domainId, zone, records },
        });
      }
    } catch (error) {
      await this.fail(metadata, domainId, state, `the DNS records could not be set: ${describe(error)}`);
      return;
    }
    if (state.status === 'pending') {
      // Certificates and the edge's HTTPS routes are the next steps; until they exist a domain is not served.
      await this.fail(
        metadata,
        domainId,
        state,
        'no certificate authority is configured for this instance, so the domain cannot be served over HTTPS',
        'certificate',
      );
    }
  }

  /**
   * Leaves exactly `records` for the domain at its provider; the zone they are in, or null for a name that needs
   * no DNS. Throws when the provider cannot be reached or has no zone for it.
   */
  private async setRecords(domainId: string, domain: KnownDomain, records: readonly DnsRecord[]) {
    if (servedWithoutDns(domain.hostname)) return null;
    const provider = await this.options.dnsProviderOf(domain.workspaceId);
    if (!provider) {
      throw new Error('no Cloudflare token is saved for this workspace: save one (PUT /v1/providers/cloudflare)');
    }
    const zone = await provider.findZone(domain.hostname);
    if (!zone) {
      throw new Error(
        `no zone of the Cloudflare account covers ${domain.hostname}: add its zone there, or save a token that may edit it`,
      );
    }
    const marker = recordMarker(this.options.instanceId, domainId);
    const wanted = records.map(({ type, content }) => ({ type, content }));
    // Checked before any record: a proxied domain on `off` or `flexible` would loop on the edge's HTTPS redirect.
    if (domain.proxied && records.length > 0) await provider.ensureStrictSsl(zone);
    await provider.setRecords(zone, domain.hostname, wanted, domain.proxied, marker);
    return zone.name;
  }

  private async fail(
    metadata: MessageMetadata,
    domainId: string,
    domain: KnownDomain,
    reason: string,
    step: 'dns' | 'certificate' = 'dns',
  ) {
    if (domain.status === 'failed') return;
    this.options.logger.warn({ domainId, step, reason }, 'domain failed');
    await this.record(metadata, nameBasedUuid(`${domainId}:failed:${step}`), {
      type: 'RecordDomainFailed',
      data: { domainId, step, reason },
    });
  }

  private record(metadata: MessageMetadata, commandId: string, command: DomainProgressCommand) {
    return this.options.commands.record(metadata, commandId, command);
  }
}

function recordOf(target: DeploymentTarget): DnsRecord {
  return { serverId: target.serverId, type: isIPv6(target.publicIp) ? 'AAAA' : 'A', content: target.publicIp };
}

/**
 * Domains with work to do: being added or removed, or live with DNS records on other servers than those their
 * service runs on now (a deployment moved it, or a server was destroyed).
 */
async function pendingDomains(store: EventStore): Promise<string[]> {
  const { rows } = await store.pool.query<{ id: string }>(
    `SELECT d.id FROM ${store.schema}.domains d
       LEFT JOIN ${store.schema}.service_placements p ON p.service_id = d.service_id
      WHERE d.status IN ('pending', 'removing')
         OR (d.hostname NOT LIKE '%.localhost'
             AND (SELECT COALESCE(jsonb_agg(r->>'serverId' ORDER BY r->>'serverId'), '[]') FROM jsonb_array_elements(d.records) r)
              <> (SELECT COALESCE(jsonb_agg(t->>'serverId' ORDER BY t->>'serverId'), '[]')
                    FROM jsonb_array_elements(COALESCE(p.targets, '[]')) t))`,
  );
  return rows.map((row) => row.id);
}
