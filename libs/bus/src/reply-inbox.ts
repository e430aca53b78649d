import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { WaitingRequests } from './waiting-requests';

/** No subscriber took the request (NATS answered 503 for the subject). */
export class NoResponders extends Error {
  constructor(readonly subject: string) {
    super(`no one answers on ${subject}`);
    this.name = 'NoResponders';
  }
}

export class ReplyTimeout extends Error {
  constructor(
    readonly subject: string,
    readonly timeoutMs: number,
  ) {
    super(`no answer on ${subject} in ${timeoutMs} ms`);
    this.name = 'ReplyTimeout';
  }
}

export interface InboxRequest {
  readonly timeoutMs: number;
  readonly headers?: MsgHdrs;
}

/** An answer as the requester gets it. */
export interface InboxReply {
  /** The payload, in bytes of its own (see `settle`). */
  readonly data: Buffer;
  readonly headers?: MsgHdrs;
}

interface Waiting {
  readonly resolve: (reply: InboxReply) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly subject: string;
}

interface Outgoing {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string;
  readonly headers?: MsgHdrs;
  readonly token: number;
}

/**
 * Request/reply over one inbox subscription, as nats.js's own `request` does, without what that costs on every
 * call: an Error made up front in case the request fails and a timer promise raced against the answer. The
 * requests made in one turn of the event loop leave together, in one write to the socket.
 */
export class ReplyInbox {
  private readonly prefix = `${createInbox()}.`;
  private readonly waiting = new WaitingRequests<Waiting>();
  private outgoing: Outgoing[] = [];
  private subscription?: Subscription;

  constructor(private readonly connection: NatsConnection) {}

  request(subject: string, data: Uint8Array, options: InboxRequest): Promise<InboxReply> {
    this.subscription ??= this.connection.subscribe(`${this.prefix}*`, {
      callback: (error, msg) => {
        if (!error) this.settle(msg);
      },
    });
    return new Promise<InboxReply>((resolve, reject) => {
      let token = 0;
      const timer = setTimeout(() => this.fail(token, new ReplyTimeout(subject, options.timeoutMs)), options.timeoutMs);
      token = this.waiting.add({ resolve, reject, timer, subject });
      const reply = this.prefix + token.toString(36);
      const queued = this.outgoing.push({ subject, data, reply, headers: options.headers, token });
      if (queued === 1) setImmediate(() => this.send());
    });
  }

  /** Fails every request still waiting; the connection is closing. */
  close(): void {
    for (const token of this.waiting.tokens()) this.fail(token, new Error('the bus is closing'));
    this.outgoing = [];
    this.subscription?.unsubscribe();
  }

  private send(): void {
    const batch = this.outgoing;
    this.outgoing = [];
    for (const message of batch) {
      try {
        this.connection.publish(message.subject, message.data, { reply: message.reply, headers: message.headers });
      } catch (error) {
        this.fail(message.token, error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  private settle(msg: Msg): void {
    const tokenText = msg.subject.slice(this.prefix.length);
    const token = Number.parseInt(tokenText, 36);
    if (token.toString(36) !== tokenText) return;
    const waiting = this.waiting.take(token);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    if (msg.data.length === 0 && msg.headers?.code === 503) waiting.reject(new NoResponders(waiting.subject));
    // A message's data is a view on the connection's read buffer, which holds the messages around it as well: the
    // answer is copied out, so that a slow caller keeps its own few bytes, not the whole buffer, and the caller gets
    // bytes it may send on as they are (a relayed query answer).
    else waiting.resolve({ data: Buffer.from(msg.data), headers: msg.headers });
  }

  private fail(token: number, error: Error): void {
    const waiting = this.waiting.take(token);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    waiting.reject(error);
  }
}
