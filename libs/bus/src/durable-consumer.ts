import {
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerUpdateConfig,
  type JetStreamManager,
} from '@nats-io/jetstream';

export type DurableConsumerSettings = Partial<ConsumerConfig> & { durable_name: string };

/** The settings JetStream lets us change on an existing durable; where it starts is fixed at creation. */
const UPDATABLE: readonly (keyof ConsumerUpdateConfig)[] = [
  'description',
  'ack_wait',
  'max_deliver',
  'max_ack_pending',
  'filter_subject',
];

/**
 * Creates the durable consumer, or updates the settings that may change. All replicas of a service call this
 * with the same settings at start; the first creates it and the others join it.
 */
export async function upsertDurableConsumer(
  manager: JetStreamManager,
  stream: string,
  settings: DurableConsumerSettings,
): Promise<ConsumerInfo> {
  const name = settings.durable_name;
  if (!(await consumerExists(manager, stream, name))) {
    try {
      return await manager.consumers.add(stream, settings);
    } catch (error) {
      // Another replica may have created it between our check and our create; then update it below.
      if (!(await consumerExists(manager, stream, name))) throw error;
    }
  }
  const changes: Partial<ConsumerUpdateConfig> = {};
  for (const key of UPDATABLE) {
    if (settings[key] !== undefined) Object.assign(changes, { [key]: settings[key] });
  }
  return manager.consumers.update(stream, name, changes);
}

async function consumerExists(manager: JetStreamManager, stream: string, name: string): Promise<boolean> {
  try {
    await manager.consumers.info(stream, name);
    return true;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return false;
    throw error;
  }
}
