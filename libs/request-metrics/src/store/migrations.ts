import type { MigrationInterface, QueryRunner } from 'typeorm';

function schemaOf(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('the metrics data source needs a schema');
  return schema;
}

/**
 * The request table, partitioned by day (partitions are made ahead by MetricsPartitions), with the indexes the
 * queries use: a workspace's requests newest first, everyone's (instance-wide figures), and a workspace's errors.
 */
export class CreateRequestMetrics1765000000000 implements MigrationInterface {
  name = 'CreateRequestMetrics1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = `"${schemaOf(queryRunner)}".request_metrics`;
    await queryRunner.query(`
      CREATE TABLE ${table} (
        occurred_at timestamptz NOT NULL,
        id uuid NOT NULL,
        request_id text NOT NULL,
        year smallint NOT NULL,
        month smallint NOT NULL,
        day smallint NOT NULL,
        hour smallint NOT NULL,
        method text NOT NULL,
        route text NOT NULL,
        path text NOT NULL,
        query jsonb NOT NULL,
        status smallint NOT NULL,
        error_code text,
        latency_ms double precision NOT NULL,
        client_ip text NOT NULL,
        user_agent text,
        referer text,
        user_id uuid,
        workspace_id uuid,
        token_id uuid,
        session_id uuid,
        country text,
        service text NOT NULL,
        replica text NOT NULL,
        PRIMARY KEY (occurred_at, id)
      ) PARTITION BY RANGE (occurred_at)`);
    await queryRunner.query(
      `CREATE INDEX request_metrics_workspace_time ON ${table} (workspace_id, occurred_at DESC, id DESC)`,
    );
    await queryRunner.query(`CREATE INDEX request_metrics_time ON ${table} (occurred_at DESC, id DESC)`);
    await queryRunner.query(
      `CREATE INDEX request_metrics_workspace_errors ON ${table} (workspace_id, occurred_at DESC, id DESC) WHERE status >= 400`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "${schemaOf(queryRunner)}".request_metrics`);
  }
}

export const requestMetricsMigrations = [CreateRequestMetrics1765000000000];
