import type { PoolClient } from 'pg';
import type { Projection } from '../projections';
import type { StoredEvent } from '../types';

/**
 * A read model that makes losses and doubles visible: one row per handled event (no unique key, so a
 * replayed event shows up twice) and a running total per stream.
 */
export function ledgerProjection(onEvent: (handled: number) => void = () => undefined): Projection {
  let handled = 0;
  return {
    name: 'ledger',
    migrations: [
      {
        id: 'ledger/001',
        sql: `CREATE TABLE ledger_rows (event_id uuid NOT NULL, stream_id text NOT NULL, amount int NOT NULL);
              CREATE TABLE ledger_totals (stream_id text PRIMARY KEY, total bigint NOT NULL, events int NOT NULL);`,
      },
    ],
    async handle(events: readonly StoredEvent[], tx: PoolClient) {
      for (const event of events) {
        const amount = (event.data as { amount: number }).amount;
        await tx.query('INSERT INTO ledger_rows (event_id, stream_id, amount) VALUES ($1, $2, $3)', [
          event.eventId,
          event.streamId,
          amount,
        ]);
        await tx.query(
          `INSERT INTO ledger_totals (stream_id, total, events) VALUES ($1, $2, 1)
           ON CONFLICT (stream_id) DO UPDATE SET total = ledger_totals.total + $2, events = ledger_totals.events + 1`,
          [event.streamId, amount],
        );
        onEvent(++handled);
      }
    },
    async reset(tx: PoolClient) {
      await tx.query('TRUNCATE ledger_rows, ledger_totals');
    },
  };
}
