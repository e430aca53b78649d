import type { Pool, PoolClient } from 'pg';
import type { Checkpoint } from './types';
import { START_OF_LOG } from './types';

type Queryable = Pick<Pool | PoolClient, 'query'>;

/** Where each reader of the log (a projection, the relay) has got to, in the service's schema. */
export class CheckpointStore {
  constructor(
    private readonly schema: string,
    private readonly replicaId: string,
  ) {}

  /**
   * Moves a checkpoint from `from` to `to`, only if it is still at `from`: a reader that lost a race to
   * another replica (or to a rebuild) gets false and must roll its work back.
   */
  async advance(db: Queryable, name: string, from: Checkpoint, to: Checkpoint): Promise<boolean> {
    const atStart =
      from.transactionId === START_OF_LOG.transactionId && from.globalPosition === START_OF_LOG.globalPosition;
    const result = atStart
      ? await db.query(
          `INSERT INTO ${this.schema}.checkpoints (name, transaction_id, global_position, updated_by)
           VALUES ($1, $2::xid8, $3, $4) ON CONFLICT (name) DO NOTHING`,
          [name, to.transactionId, to.globalPosition, this.replicaId],
        )
      : await db.query(
          `UPDATE ${this.schema}.checkpoints
              SET transaction_id = $2::xid8, global_position = $3, updated_by = $4, updated_at = now()
            WHERE name = $1 AND transaction_id = $5::xid8 AND global_position = $6`,
          [name, to.transactionId, to.globalPosition, this.replicaId, from.transactionId, from.globalPosition],
        );
    return result.rowCount === 1;
  }

  async reset(db: Queryable, name: string): Promise<void> {
    await db.query(`DELETE FROM ${this.schema}.checkpoints WHERE name = $1`, [name]);
  }
}
