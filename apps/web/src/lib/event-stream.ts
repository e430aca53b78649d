/**
 * A reader of the API's server-sent events over `fetch`, behaving like `EventSource` (reconnects by itself
 * and resumes with `Last-Event-ID`, honours `retry:`) with two things `EventSource` cannot do: send
 * `X-Workspace-Id`, so the stream follows the workspace the console acts in, and hand over every event
 * whatever its `event:` name, so event types added to the API later show up without a change here.
 */

export interface SseMessage {
  /** The last `id:` seen (for the gateway: the event id). */
  readonly id: string | undefined;
  /** The `event:` field; `message` when there was none. */
  readonly event: string;
  readonly data: string;
}

/** Incremental `text/event-stream` parser (the WHATWG algorithm): feed it text as it arrives. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private lastEventId: string | undefined;
  /** The reconnection delay the server asked for with `retry:`. */
  retryMs: number | undefined;

  constructor(private readonly onMessage: (message: SseMessage) => void) {}

  push(text: string): void {
    this.buffer += text;
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end < 0) return;
      // A '\r' at the very end may be the first half of a '\r\n' split across chunks: wait for more.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1) return;
      const separator = this.buffer.startsWith('\r\n', end) ? 2 : 1;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + separator);
      this.processLine(line);
    }
  }

  private processLine(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  private dispatch(): void {
    if (this.data.length > 0)
      this.onMessage({ id: this.lastEventId, event: this.event || 'message', data: this.data.join('\n') });
    this.data = [];
    this.event = '';
  }
}

export type EventStreamStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the stream stopped or is retrying, from the API's error answer when there was one. */
export interface EventStreamProblem {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface EventStreamHandlers {
  onMessage(message: SseMessage): void;
  onStatus?(status: EventStreamStatus, problem?: EventStreamProblem): void;
  /** The resume point was refused (too old, or not of this workspace): events since then were missed. */
  onGap?(): void;
}

export interface EventStream {
  close(): void;
}

const DEFAULT_RETRY_MS = 2000;
const MAX_RETRY_MS = 30_000;
/** Answers that retrying cannot change: the session ended, or the workspace is gone. */
const FATAL_STATUSES = new Set([401, 403, 404]);

async function problemOf(response: Response): Promise<EventStreamProblem> {
  const body = (await response.json().catch(() => undefined)) as
    { error?: { code?: string; message?: string } } | undefined;
  return {
    status: response.status,
    code: body?.error?.code ?? 'unavailable',
    message: body?.error?.message ?? `the event stream answered HTTP ${response.status}`,
  };
}

export function openEventStream(options: {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly lastEventId?: string;
  readonly handlers: EventStreamHandlers;
}): EventStream {
  const { handlers } = options;
  const abort = new AbortController();
  let lastEventId = options.lastEventId;
  let retryMs = DEFAULT_RETRY_MS;

  /** Waits `ms`, or less when the stream is closed meanwhile. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      abort.signal.addEventListener('abort', done);
    });

  /** One request, read until the server ends it: whether it streamed, or what went wrong. */
  async function readOnce(): Promise<{ opened: boolean; gap?: boolean; problem?: EventStreamProblem }> {
    const response = await fetch(options.url, {
      headers: {
        ...options.headers,
        accept: 'text/event-stream',
        ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
      },
      credentials: 'same-origin',
      signal: abort.signal,
    });
    if (!response.ok || !response.body) {
      const problem = await problemOf(response);
      if (lastEventId && response.status === 422) {
        lastEventId = undefined;
        handlers.onGap?.();
        return { opened: false, gap: true };
      }
      return { opened: false, problem };
    }
    handlers.onStatus?.('open');
    const parser = new SseParser((message) => {
      lastEventId = message.id ?? lastEventId;
      handlers.onMessage(message);
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
      if (parser.retryMs !== undefined) retryMs = parser.retryMs;
    }
    return { opened: true };
  }

  async function run(): Promise<void> {
    let failures = 0;
    let status: EventStreamStatus = 'connecting';
    while (!abort.signal.aborted) {
      try {
        handlers.onStatus?.(status);
        const { opened, gap, problem } = await readOnce();
        if (gap) continue;
        if (problem && FATAL_STATUSES.has(problem.status)) {
          handlers.onStatus?.('closed', problem);
          return;
        }
        failures = opened ? 0 : failures + (problem ? 1 : 0);
        if (problem) handlers.onStatus?.('reconnecting', problem);
      } catch (error) {
        if (abort.signal.aborted) return;
        failures += 1;
        handlers.onStatus?.('reconnecting', { status: 0, code: 'network_error', message: (error as Error).message });
      }
      status = 'reconnecting';
      await pause(Math.min(retryMs * 2 ** Math.max(0, failures - 1), MAX_RETRY_MS));
    }
  }

  void run();
  return {
    close() {
      abort.abort();
      handlers.onStatus?.('closed');
    },
  };
}
