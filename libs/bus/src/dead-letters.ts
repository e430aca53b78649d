import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { BusResources } from './resources';
import { storeOnStream } from './stream-store';

/** Headers a dead letter carries besides the original headers, so whoever inspects it knows why it is there. */
export const DeadLetterHeaders = {
  Reason: 'Dead-Letter-Reason',
  DeliveryCount: 'Dead-Letter-Delivery-Count',
  OriginalSubject: 'Dead-Letter-Original-Subject',
  OriginalStream: 'Dead-Letter-Original-Stream',
  OriginalSequence: 'Dead-Letter-Original-Sequence',
  Consumer: 'Dead-Letter-Consumer',
} as const;

const MAX_HEADER_LENGTH = 1024;

/** Header values cannot hold line breaks, and a stack-sized reason has no place in a header. */
export function headerValue(text: string): string {
  const oneLine = text.replace(/\s*[\r\n]+\s*|\t/g, ' ').trim();
  return oneLine.length > MAX_HEADER_LENGTH ? `${oneLine.slice(0, MAX_HEADER_LENGTH - 1)}…` : oneLine;
}

/**
 * Stores the message, body and headers untouched, on the DEADLETTERS stream under `dlq.<original subject>` and
 * resolves once JetStream has it. The message id is the original stream position, so dead-lettering the same
 * delivery twice (a crash between this publish and the term) stores it once.
 */
export async function publishDeadLetter(resources: BusResources, msg: JsMsg, reason: string): Promise<void> {
  const deadLetterHeaders = headers();
  for (const [key, values] of msg.headers ?? []) {
    // Nats-* headers steer JetStream (deduplication, expectations); replaying them would misfire on this stream.
    if (key.toLowerCase().startsWith('nats-')) continue;
    for (const value of values) deadLetterHeaders.append(key, value);
  }
  deadLetterHeaders.set(DeadLetterHeaders.Reason, headerValue(reason));
  deadLetterHeaders.set(DeadLetterHeaders.DeliveryCount, String(msg.info.deliveryCount));
  deadLetterHeaders.set(DeadLetterHeaders.OriginalSubject, msg.subject);
  deadLetterHeaders.set(DeadLetterHeaders.OriginalStream, msg.info.stream);
  deadLetterHeaders.set(DeadLetterHeaders.OriginalSequence, String(msg.info.streamSequence));
  deadLetterHeaders.set(DeadLetterHeaders.Consumer, msg.info.consumer);
  await storeOnStream(
    resources,
    resources.subjects.deadLetter(msg.subject),
    msg.data,
    `${msg.info.stream}:${msg.info.streamSequence}`,
    {
      headers: deadLetterHeaders,
    },
  );
}
