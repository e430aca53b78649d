import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Subjects } from '@platform/contracts';

export interface StreamOptions {
  /** How long EVENTS keeps events; subscribers that fall further behind than this miss events. Default 30 days. */
  eventsMaxAgeMs?: number;
  /** Copies of each stream in a NATS cluster. Default 1 (a single server). */
  replicas?: number;
}

export const DEFAULT_EVENTS_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** A publisher retrying within this window (a gateway retry, an outbox relay replay) is stored once. */
export const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

type StreamSettings = Pick<
  StreamConfig,
  'name' | 'subjects' | 'retention' | 'storage' | 'discard' | 'duplicate_window' | 'max_age' | 'num_replicas'
>;

export function streamSettings(subjects: Subjects, options: StreamOptions = {}): StreamSettings[] {
  const replicas = options.replicas ?? 1;
  return [
    {
      // Work queue: a command leaves the stream once a consumer acks (or terminates) it.
      name: subjects.stream('COMMANDS'),
      subjects: [subjects.commands()],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: 0,
      num_replicas: replicas,
    },
    {
      name: subjects.stream('EVENTS'),
      subjects: [subjects.events()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: nanos(options.eventsMaxAgeMs ?? DEFAULT_EVENTS_MAX_AGE_MS),
      num_replicas: replicas,
    },
    {
      name: subjects.stream('DEADLETTERS'),
      subjects: [subjects.deadLetters()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: 0,
      num_replicas: replicas,
    },
  ];
}

const STREAM_NAME_IN_USE = 10058;

/**
 * Creates the stream, or brings an existing one to these settings. Every replica of every service calls this at
 * start, so it must be idempotent and must survive two replicas racing to create the same stream.
 */
export async function upsertStream(manager: JetStreamManager, settings: StreamSettings): Promise<StreamInfo> {
  try {
    return await manager.streams.add(settings);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
  }
  const { name, retention, storage, ...updatable } = settings;
  const info = await manager.streams.update(name, updatable);
  // JetStream cannot change these in place; carrying on would silently keep the wrong delivery semantics.
  if (info.config.retention !== retention || info.config.storage !== storage) {
    throw new Error(
      `stream ${name} exists with retention ${info.config.retention} and storage ${info.config.storage}, ` +
        `but ${retention} and ${storage} are required; it has to be migrated by hand`,
    );
  }
  return info;
}
