import { Controller, Get, HttpCode, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Bus } from '@platform/bus';
import type { Pool } from 'pg';
import { ServiceRuntime } from './service-runtime';
import { BUS, PG_POOL } from './tokens';

interface ReplyLike {
  status(code: number): ReplyLike;
  send(body: unknown): unknown;
}

/**
 * `/healthz`: the process answers. `/readyz`: it can do its work (database, NATS, migrations done), and how many
 * events its outbox relay dead-lettered (they do not make it unready: the relay goes on past them).
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(BUS) private readonly bus: Bus,
    private readonly runtime: ServiceRuntime,
  ) {}

  @Get('healthz')
  @HttpCode(HttpStatus.OK)
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readiness(@Res() reply: ReplyLike) {
    const checks = {
      database: await this.pool.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      nats: !this.bus.connection.isClosed(),
      migrations: this.runtime.ready,
    };
    const ready = Object.values(checks).every(Boolean);
    const relayDeadLetters = checks.migrations ? await this.runtime.relayDeadLetters().catch(() => null) : null;
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not_ready', checks, leadership: this.runtime.leadership, relayDeadLetters });
  }
}
