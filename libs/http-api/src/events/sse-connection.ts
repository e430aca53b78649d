import type { FastifyReply } from 'fastify';
import type { EventClient } from './event-hub';
import type { FeedEntry, FeedFilter } from './event-feed';

/**
 * A `text/event-stream` response. Writes never wait for a slow reader: bytes queue in the socket, and a
 * client whose queue passes `maxBufferedBytes` is disconnected (it resumes with Last-Event-ID), so it
 * cannot hold the others back or grow the gateway's memory.
 */
export class SseConnection implements EventClient {
  private readonly heartbeat: NodeJS.Timeout;
  private readonly maxBufferedBytes: number;
  /** Event types after which the stream is complete (a deployment's end, for its own progress stream). */
  private readonly endOn: Set<string>;
  private open = true;

  readonly userId: string;
  readonly reauthorize: () => Promise<unknown>;

  constructor(
    private readonly reply: FastifyReply,
    readonly filter: FeedFilter,
    options: {
      requestId: string;
      heartbeatMs: number;
      maxBufferedBytes: number;
      endOn?: readonly string[];
      /** Whose credential opened the stream, and how to check it again (see EventClient). */
      userId: string;
      reauthorize: () => Promise<unknown>;
    },
  ) {
    this.userId = options.userId;
    this.reauthorize = options.reauthorize;
    this.endOn = new Set(options.endOn ?? []);
    this.maxBufferedBytes = options.maxBufferedBytes;
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      // no-transform: a compressing proxy would otherwise hold events back.
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': options.requestId,
      'x-content-type-options': 'nosniff',
    });
    reply.raw.write('retry: 2000\n\n');
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), options.heartbeatMs);
    reply.raw.on('close', () => this.close());
  }

  /** Bytes written and not yet taken by the client's socket. */
  get bufferedBytes(): number {
    return this.reply.raw.writableLength;
  }

  onClose(listener: () => void): void {
    this.reply.raw.on('close', listener);
  }

  send(entry: FeedEntry): boolean {
    const { event } = entry;
    const written = this.write(`id: ${event.eventId}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    if (written && this.endOn.has(event.type)) this.end();
    return written;
  }

  /** A message of the gateway's own (not an event of the log), such as the accepted command. */
  announce(name: string, data: unknown): void {
    this.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(frame: string): boolean {
    if (!this.open) return false;
    if (this.reply.raw.writableLength > this.maxBufferedBytes) {
      this.reply.raw.destroy();
      this.close();
      return false;
    }
    this.reply.raw.write(frame);
    return true;
  }

  /** Ends the stream with an error the client can read, for a failure after the headers went out. */
  fail(code: string, message: string): void {
    this.write(`event: error\ndata: ${JSON.stringify({ error: { code, message } })}\n\n`);
    this.end();
  }

  end(): void {
    this.reply.raw.end();
    this.close();
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    clearInterval(this.heartbeat);
  }
}
