import { headers as newHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { DomainError } from '@platform/contracts';
import { decodeText } from './json';
import { NoResponders, ReplyTimeout } from './reply-inbox';
import type { BusResources } from './resources';

export interface StoredMessage {
  readonly sequence: number;
  /** JetStream already held a message with this id (within the stream's duplicate window): nothing was stored. */
  readonly duplicate: boolean;
}

/** JetStream answered and refused the message (too large for the stream, …): sending it again changes nothing. */
export class StreamRefusal extends Error {
  constructor(
    readonly subject: string,
    readonly code: number | undefined,
    description: string,
  ) {
    super(`JetStream refused ${subject}: ${description}`);
    this.name = 'StreamRefusal';
  }
}

interface PubAck {
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; description?: string };
}

/**
 * Stores a message on the stream that takes its subject and resolves once JetStream acknowledged it, under
 * `messageId` so that the stream keeps one copy of a message sent twice. Throws DomainError `unavailable` when no
 * stream answers in time (the caller may retry: the id makes that safe), and an Error when JetStream refuses it.
 */
export async function storeOnStream(
  resources: BusResources,
  subject: string,
  data: Uint8Array,
  messageId: string,
  options: { headers?: MsgHdrs; timeoutMs?: number } = {},
): Promise<StoredMessage> {
  const headers = options.headers ?? newHeaders();
  headers.set('Nats-Msg-Id', messageId);
  const timeoutMs = options.timeoutMs ?? 5000;
  let answer;
  try {
    answer = await resources.replies.request(subject, data, { timeoutMs, headers });
  } catch (error) {
    if (error instanceof NoResponders)
      throw new DomainError(
        'unavailable',
        `no stream takes ${subject}: JetStream is down or the stream is missing; try again`,
      );
    if (error instanceof ReplyTimeout)
      throw new DomainError('unavailable', `JetStream did not acknowledge ${subject} in ${timeoutMs} ms; try again`);
    throw error;
  }
  let ack: PubAck;
  try {
    ack = JSON.parse(decodeText(answer.data)) as PubAck;
  } catch {
    throw new Error(`JetStream answered ${subject} with something other than an acknowledgement`);
  }
  if (ack.error || typeof ack.seq !== 'number') {
    throw new StreamRefusal(subject, ack.error?.code, ack.error?.description ?? 'no sequence in its acknowledgement');
  }
  return { sequence: ack.seq, duplicate: ack.duplicate === true };
}
