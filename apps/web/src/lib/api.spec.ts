import { ApiRequestError, createApiClient, issuesByField } from './api';

describe('issuesByField', () => {
  it('keys messages by field path, an item of a list under its list', () => {
    expect(
      issuesByField([
        { path: 'body.name', message: 'is required' },
        { path: 'body.source.image', message: 'must be an image reference' },
        { path: 'body.serverIds.1', message: 'must be a UUID' },
        { path: 'body.serverIds.2', message: 'must be a UUID' },
        { path: 'query.limit', message: 'too big' },
      ]),
    ).toEqual({
      name: 'is required',
      'source.image': 'must be an image reference',
      serverIds: 'item 2: must be a UUID',
      'query.limit': 'too big',
    });
  });
});

describe('createApiClient', () => {
  const realFetch = global.fetch;
  afterEach(() => {
    global.fetch = realFetch;
  });

  it('sends the workspace header and fills path parameters', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    global.fetch = jest.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, init });
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    const api = createApiClient({ baseUrl: 'http://gateway.test', workspaceId: 'w1' });
    await expect(api.removeMember('w 1', 'u/2')).resolves.toBeUndefined();
    expect(calls[0].url).toBe('http://gateway.test/v1/workspaces/w%201/members/u%2F2');
    expect(calls[0].init?.method).toBe('DELETE');
    expect(new Headers(calls[0].init?.headers).get('x-workspace-id')).toBe('w1');
  });

  it("turns the API's error answer into an ApiRequestError with its code, message and field issues", async () => {
    global.fetch = jest.fn(
      async () =>
        new Response(
          JSON.stringify({
            error: {
              code: 'validation_failed',
              message: 'the body is not valid',
              details: [{ path: 'name', message: 'is required' }],
            },
            requestId: 'r1',
          }),
          { status: 400, headers: { 'content-type': 'application/json' } },
        ),
    ) as typeof fetch;
    const error = await createApiClient()
      .createWorkspace({ name: '' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiRequestError);
    expect((error as ApiRequestError).toJSON()).toEqual({
      status: 400,
      code: 'validation_failed',
      message: 'the body is not valid',
      fieldIssues: [{ path: 'name', message: 'is required' }],
      requestId: 'r1',
    });
  });

  it('explains an answer that is not the API’s (the gateway is down behind the console)', async () => {
    global.fetch = jest.fn(async () => new Response('Internal Server Error', { status: 500 })) as typeof fetch;
    await expect(createApiClient().me()).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('gateway'),
    });
  });
});
