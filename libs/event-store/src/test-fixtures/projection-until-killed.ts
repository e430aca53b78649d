// Runs the ledger projection in a process of its own and kills that process (SIGKILL, no clean-up) in the
// middle of a batch, after KILL_AFTER events: the crash the projection must survive.
import { Pool } from 'pg';
import { EventStore } from '../event-store';
import { ProjectionRunner } from '../projections';
import { ledgerProjection } from './ledger-projection';

async function main(): Promise<void> {
  const killAfter = Number(process.env.KILL_AFTER);
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  const store = new EventStore(pool, String(process.env.SCHEMA));
  const projection = ledgerProjection((handled) => {
    if (handled === killAfter) process.kill(process.pid, 'SIGKILL');
  });
  const runner = new ProjectionRunner(store, projection, {
    replicaId: 'doomed',
    batchSize: Number(process.env.BATCH_SIZE),
  });
  await runner.catchUp();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
