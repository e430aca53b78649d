import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One stored request (see RequestMetricRecord), in a table partitioned by day on `occurred_at`; the year, month,
 * day and hour (UTC) are kept as columns for grouping. The key holds the partition column, as PostgreSQL requires.
 */
@Entity({ name: 'request_metrics' })
export class RequestMetric {
  @PrimaryColumn({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'request_id', type: 'text' })
  requestId!: string;

  @Column({ type: 'smallint' })
  year!: number;

  @Column({ type: 'smallint' })
  month!: number;

  @Column({ type: 'smallint' })
  day!: number;

  @Column({ type: 'smallint' })
  hour!: number;

  @Column({ type: 'text' })
  method!: string;

  @Column({ type: 'text' })
  route!: string;

  @Column({ type: 'text' })
  path!: string;

  @Column({ type: 'jsonb' })
  query!: Record<string, string | string[]>;

  @Column({ type: 'smallint' })
  status!: number;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode!: string | null;

  @Column({ name: 'latency_ms', type: 'double precision' })
  latencyMs!: number;

  @Column({ name: 'client_ip', type: 'text' })
  clientIp!: string;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'text', nullable: true })
  referer!: string | null;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'workspace_id', type: 'uuid', nullable: true })
  workspaceId!: string | null;

  @Column({ name: 'token_id', type: 'uuid', nullable: true })
  tokenId!: string | null;

  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId!: string | null;

  @Column({ type: 'text', nullable: true })
  country!: string | null;

  @Column({ type: 'text' })
  service!: string;

  @Column({ type: 'text' })
  replica!: string;
}
