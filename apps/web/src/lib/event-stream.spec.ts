import { openEventStream, SseParser, type EventStreamStatus, type SseMessage } from './event-stream';

function parse(chunks: string[]) {
  const messages: SseMessage[] = [];
  const parser = new SseParser((message) => messages.push(message));
  for (const chunk of chunks) parser.push(chunk);
  return { messages, parser };
}

describe('SseParser', () => {
  it('reads id, event and data, skipping comments and keeping the last id', () => {
    const { messages, parser } = parse([
      'retry: 2000\n\n: heartbeat\n\nid: 1\nevent: A\ndata: {"x":1}\n\n',
      'data: no id\n\n',
    ]);
    expect(messages).toEqual([
      { id: '1', event: 'A', data: '{"x":1}' },
      { id: '1', event: 'message', data: 'no id' },
    ]);
    expect(parser.retryMs).toBe(2000);
  });

  it('joins data lines and handles frames and CRLF split across chunks', () => {
    const { messages } = parse(['id: 7\r', '\nevent: B\r\ndata: one\r\nda', 'ta: two\r\n', '\r\n']);
    expect(messages).toEqual([{ id: '7', event: 'B', data: 'one\ntwo' }]);
  });

  it('dispatches nothing for a frame without data', () => {
    expect(parse(['event: A\n\n']).messages).toEqual([]);
  });
});

describe('openEventStream', () => {
  const realFetch = global.fetch;
  afterEach(() => {
    global.fetch = realFetch;
  });

  function streamResponse(text: string): Response {
    return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }

  it('reconnects with Last-Event-ID, and without it once the API refuses that resume point', async () => {
    const requests: (string | null)[] = [];
    const answers = [
      () => streamResponse('retry: 1\n\nid: e1\nevent: A\ndata: 1\n\n'),
      () => new Response(JSON.stringify({ error: { code: 'validation_failed', message: 'too old' } }), { status: 422 }),
      () => streamResponse('id: e2\nevent: B\ndata: 2\n\n'),
      () => new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'log in again' } }), { status: 401 }),
    ];
    global.fetch = jest.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      requests.push(new Headers(init?.headers).get('last-event-id'));
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      return next();
    }) as typeof fetch;

    const messages: SseMessage[] = [];
    const statuses: string[] = [];
    let gaps = 0;
    await new Promise<void>((resolve) => {
      openEventStream({
        url: 'http://console.test/v1/events',
        handlers: {
          onMessage: (message) => messages.push(message),
          onGap: () => gaps++,
          onStatus: (status: EventStreamStatus, problem) => {
            statuses.push(problem ? `${status}:${problem.code}` : status);
            if (status === 'closed') resolve();
          },
        },
      });
    });

    expect(messages.map((message) => [message.id, message.event, message.data])).toEqual([
      ['e1', 'A', '1'],
      ['e2', 'B', '2'],
    ]);
    expect(requests).toEqual([null, 'e1', null, 'e2']);
    expect(gaps).toBe(1);
    expect(statuses.at(-1)).toBe('closed:unauthorized');
  });
});
