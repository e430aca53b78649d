import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Bus } from '@platform/bus';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { BUS, PG_POOL, REDIS } from '../tokens';

/** `/healthz`: the process answers. `/readyz`: PostgreSQL, Redis and NATS answer too. */
@Controller()
export class HealthController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readiness(@Res() reply: FastifyReply) {
    const answers = (check: Promise<unknown>) =>
      check.then(
        () => true,
        () => false,
      );
    const checks = {
      database: await answers(this.pool.query('SELECT 1')),
      redis: await answers(this.redis.ping()),
      nats: !this.bus.connection.isClosed(),
    };
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  }
}
