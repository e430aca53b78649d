import { serviceNameTaken } from '@platform/contracts';
import type { Migration } from '@platform/event-store';
import type { Pool } from 'pg';

/**
 * The claims table: a service's name is its hostname (`<name>.localhost`) on the front door and the edges, which
 * the whole instance shares, so a name belongs to the first workspace that made a service of it. Services made
 * before names were claimed are claimed by the earliest of them.
 */
export const serviceNamesMigration: Migration = {
  id: 'applications/002-service-names',
  sql: `
    CREATE TABLE service_names (
      name text PRIMARY KEY, workspace_id text NOT NULL, claimed_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO service_names (name, workspace_id, claimed_at)
      SELECT DISTINCT ON (name) name, workspace_id, created_at FROM services ORDER BY name, created_at, id;
  `,
};

/** Which workspace holds each service name (see serviceNamesMigration). */
export class ServiceNames {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  /**
   * Claims `name` for the workspace before a service of that name is created, or refuses it as `name_taken` when
   * another workspace holds it. Of two workspaces claiming a name at once, the primary key lets one have it.
   * A workspace holds its names for good: services are not deleted or renamed.
   */
  async claim(name: string, workspaceId: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.schema}.service_names (name, workspace_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
      [name, workspaceId],
    );
    if (!(await this.available(name, workspaceId))) throw serviceNameTaken(name);
  }

  /** Whether the workspace may make a service of this name: nobody holds it, or the workspace does. */
  async available(name: string, workspaceId: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ workspace_id: string }>(
      `SELECT workspace_id FROM ${this.schema}.service_names WHERE name = $1`,
      [name],
    );
    return rows.length === 0 || rows[0].workspace_id === workspaceId;
  }
}
