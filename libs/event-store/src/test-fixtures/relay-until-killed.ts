// Runs the outbox relay in a process of its own that is killed (SIGKILL) right after JetStream acknowledged
// a batch and before the relay recorded its checkpoint: the crash window where events get published twice.
import { Bus } from '@platform/bus';
import type { EventEnvelope } from '@platform/contracts';
import { Pool } from 'pg';
import { EventStore } from '../event-store';
import { OutboxRelay } from '../outbox-relay';

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  const store = new EventStore(pool, String(process.env.SCHEMA));
  const bus = await Bus.connect({ servers: String(process.env.NATS_URL), prefix: process.env.NATS_PREFIX });
  const killAfterBatches = Number(process.env.KILL_AFTER_BATCHES);
  let batches = 0;
  const publisher = {
    maxPayloadBytes: bus.maxPayloadBytes,
    isPermanentFailure: (error: unknown) => bus.isPermanentFailure(error),
    async publishEvents(envelopes: readonly EventEnvelope[]) {
      const published = await bus.publishEvents(envelopes);
      if (++batches === killAfterBatches) process.kill(process.pid, 'SIGKILL');
      return published;
    },
  };
  const relay = new OutboxRelay(store, publisher, {
    context: 'ledger',
    replicaId: 'doomed',
    batchSize: Number(process.env.BATCH_SIZE),
  });
  while ((await relay.publishBatch()) > 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
