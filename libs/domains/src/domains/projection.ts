import { domainEvents } from '@platform/contracts';
import type { Migration, Projection, StoredEvent } from '@platform/event-store';
import type { PoolClient } from 'pg';
import type { DomainEvent } from './decider';

/**
 * Which domain holds each hostname: hostnames are the instance's, so a hostname belongs to the first domain
 * added with it until that domain is removed. Claimed before a domain's first event is stored (see
 * DomainHostnames), released by the projection when the domain is removed.
 */
export const domainHostnamesMigration: Migration = {
  id: 'domains/002-hostnames',
  sql: `
    CREATE TABLE domain_hostnames (
      hostname text PRIMARY KEY, domain_id uuid NOT NULL, workspace_id text NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now()
    );
  `,
};

/** The `domains` read model: one row per domain not yet removed, answering the list and get queries. */
export const domainsProjection: Projection = {
  name: 'domains',
  eventTypes: domainEvents.map((definition) => definition.type),
  migrations: [
    {
      id: 'domains/001-read-model',
      sql: `
        CREATE TABLE domains (
          id uuid PRIMARY KEY,
          workspace_id text NOT NULL,
          service_id uuid NOT NULL,
          hostname text NOT NULL,
          proxied boolean NOT NULL,
          certificate_method text NOT NULL,
          status text NOT NULL,
          step text,
          failure text,
          records jsonb NOT NULL DEFAULT '[]',
          certificate jsonb,
          served_by jsonb NOT NULL DEFAULT '[]',
          version integer NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        );
        CREATE INDEX domains_by_service ON domains (workspace_id, service_id, created_at DESC, id DESC);
        CREATE INDEX domains_in_progress ON domains (status) WHERE status IN ('pending', 'removing');
      `,
    },
    domainHostnamesMigration,
  ],

  async handle(events: readonly StoredEvent[], tx: PoolClient) {
    for (const stored of events) await apply(tx, { type: stored.type, data: stored.data } as DomainEvent, stored);
  },

  async reset(tx: PoolClient) {
    await tx.query('TRUNCATE domains');
  },
};

async function apply(tx: PoolClient, event: DomainEvent, stored: StoredEvent): Promise<void> {
  const at = stored.createdAt;
  const version = stored.streamVersion;
  const set = (assignments: string, values: unknown[]) =>
    tx.query(`UPDATE domains SET ${assignments}, version = $2, updated_at = $3 WHERE id = $1`, [
      event.data.domainId,
      version,
      at,
      ...values,
    ]);
  switch (event.type) {
    case 'DomainAdded': {
      const { domainId, workspaceId, serviceId, hostname, proxied, certificate } = event.data;
      await tx.query(
        `INSERT INTO domains (id, workspace_id, service_id, hostname, proxied, certificate_method, status, step, version,
                              created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 'dns', $7, $8, $8) ON CONFLICT (id) DO NOTHING`,
        [domainId, workspaceId, serviceId, hostname, proxied, certificate, version, at],
      );
      return;
    }
    case 'DnsRecordsSet':
      await set(`records = $4, step = CASE WHEN status = 'pending' THEN 'certificate' ELSE step END`, [
        JSON.stringify(event.data.records),
      ]);
      return;
    case 'CertificateIssued':
    case 'CertificateRenewed': {
      const { issuer, notBefore, notAfter } = event.data;
      await set(`certificate = $4, step = CASE WHEN status = 'pending' THEN 'install' ELSE step END`, [
        JSON.stringify({ issuer, notBefore, notAfter }),
      ]);
      return;
    }
    case 'CertificateRenewalFailed':
      await set('failure = $4', [`renewal attempt ${event.data.attempt} failed: ${event.data.reason}`]);
      return;
    case 'DomainActive':
      await set(`status = 'active', step = NULL, failure = NULL, served_by = $4`, [
        JSON.stringify(event.data.serverIds),
      ]);
      return;
    case 'DomainFailed':
      await set(`status = 'failed', step = $4, failure = $5`, [event.data.step, event.data.reason]);
      return;
    case 'DomainRemovalRequested':
      await set(`status = 'removing', step = 'remove'`, []);
      return;
    case 'DomainRemoved':
      await tx.query('DELETE FROM domains WHERE id = $1', [event.data.domainId]);
      await tx.query('DELETE FROM domain_hostnames WHERE domain_id = $1', [event.data.domainId]);
      return;
  }
}
