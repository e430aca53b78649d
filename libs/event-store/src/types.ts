import type { MessageMetadata } from '@platform/contracts';
import { DomainError } from '@platform/contracts';

/** How the stream must look for an append to go through: any state, not yet existing, or exactly at a version. */
export type ExpectedVersion = 'any' | 'no_stream' | number;

export interface NewEvent<Data = unknown> {
  /** Supplied by the caller to make the append idempotent (a retry with the same ids appends nothing). */
  readonly eventId?: string;
  readonly type: string;
  readonly schemaVersion?: number;
  readonly data: Data;
  readonly metadata: MessageMetadata;
}

export interface StoredEvent<Data = unknown> {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly streamId: string;
  readonly streamVersion: number;
  /** bigint as a decimal string: positions outgrow Number's exact range long before storage runs out. */
  readonly globalPosition: string;
  readonly transactionId: string;
  readonly data: Data;
  readonly metadata: MessageMetadata;
  readonly createdAt: Date;
}

export interface AppendResult {
  /** The stream's version after the append; pass it as the next expected version. */
  readonly nextExpectedVersion: number;
  readonly eventIds: string[];
  readonly globalPositions: string[];
  /** True when every event id was already stored: nothing was appended and the original positions are reported. */
  readonly alreadyAppended: boolean;
}

/** A place in the log in commit order. Both parts matter: see `EventStore.readAfterCheckpoint`. */
export interface Checkpoint {
  readonly transactionId: string;
  readonly globalPosition: string;
}

export const START_OF_LOG: Checkpoint = { transactionId: '0', globalPosition: '0' };

export class StreamVersionConflictError extends DomainError {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(
      'stream_version_conflict',
      `stream ${streamId} is at version ${actual}, expected ${expected === 'no_stream' ? 'no stream' : expected}; reload it and try again`,
      [{ streamId, expected, actual }],
    );
    this.name = 'StreamVersionConflictError';
  }
}
