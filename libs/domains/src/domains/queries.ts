import {
  decodeCursor,
  DomainError,
  hostnameTaken,
  pageFromRows,
  type DomainView,
  type GetDomain,
  type ListDomains,
  type QueryParams,
  type QueryResult,
} from '@platform/contracts';
import type { Pool } from 'pg';

interface DomainRow {
  id: string;
  service_id: string;
  hostname: string;
  proxied: boolean;
  certificate_method: DomainView['certificateMethod'];
  status: DomainView['status'];
  step: DomainView['step'];
  failure: string | null;
  records: DomainView['records'];
  certificate: DomainView['certificate'];
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, service_id, hostname, proxied, certificate_method, status, step, failure, records, certificate, created_at, updated_at';

/** Reads of the domains read model, always within one workspace. */
export class DomainQueries {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async list(workspaceId: string, params: QueryParams<typeof ListDomains>): Promise<QueryResult<typeof ListDomains>> {
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const { rows } = await this.pool.query<DomainRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.domains
        WHERE workspace_id = $1 AND service_id = $2 ${after ? 'AND (created_at, id) < ($4::timestamptz, $5::uuid)' : ''}
        ORDER BY created_at DESC, id DESC
        LIMIT $3`,
      [workspaceId, params.serviceId, params.limit + 1, ...(after ?? [])],
    );
    return pageFromRows(rows, params.limit, (row) => [row.created_at.toISOString(), row.id], toView);
  }

  async get(workspaceId: string, params: QueryParams<typeof GetDomain>): Promise<QueryResult<typeof GetDomain>> {
    const { rows } = await this.pool.query<DomainRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.domains WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, params.domainId],
    );
    if (!rows[0]) throw new DomainError('not_found', `domain ${params.domainId} does not exist`);
    return toView(rows[0]);
  }
}

function toView(row: DomainRow): DomainView {
  return {
    id: row.id,
    serviceId: row.service_id,
    hostname: row.hostname,
    proxied: row.proxied,
    certificateMethod: row.certificate_method,
    status: row.status,
    step: row.step,
    failure: row.failure,
    records: row.records,
    certificate: row.certificate,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Which domain holds each hostname (see domainHostnamesMigration). */
export class DomainHostnames {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  /**
   * Claims the hostname for a domain before its first event is stored, or refuses it as `name_taken` when another
   * domain holds it, in this workspace or another. Of two claims at once, the primary key lets one have it; the
   * same domain claiming again (a redelivered command) keeps it.
   */
  async claim(hostname: string, domainId: string, workspaceId: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.schema}.domain_hostnames (hostname, domain_id, workspace_id) VALUES ($1, $2, $3)
       ON CONFLICT (hostname) DO NOTHING`,
      [hostname, domainId, workspaceId],
    );
    const { rows } = await this.pool.query<{ domain_id: string }>(
      `SELECT domain_id FROM ${this.schema}.domain_hostnames WHERE hostname = $1`,
      [hostname],
    );
    if (rows[0]?.domain_id !== domainId) throw hostnameTaken(hostname);
  }

  /** Whether nobody holds the hostname. */
  async available(hostname: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM ${this.schema}.domain_hostnames WHERE hostname = $1`, [
      hostname,
    ]);
    return rowCount === 0;
  }
}
