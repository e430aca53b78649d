/** An answer of the public API as a test holds it: its status, its headers and its parsed JSON body. */
export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** The `error` of a refusal: a stable code, a message for people, and details where there are some. */
export interface RefusalError {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown[];
}

export interface ExpectedRefusal {
  readonly status: number;
  readonly code: string;
  /** What the message must say. */
  readonly message?: RegExp | string;
  /** Names the case in a failure, when a test checks many. */
  readonly case?: string;
}

/**
 * Checks that an answer is a refusal of the public API in its error shape: the status, `{ error: { code, message },
 * requestId }` with a message worth reading, and the same request id as the `X-Request-Id` header. Returns the
 * error, for checks of its details.
 */
export function expectRefusal(answer: ApiAnswer, expected: ExpectedRefusal): RefusalError {
  const body = answer.body as { error?: RefusalError; requestId?: string } | undefined;
  expect({ case: expected.case, status: answer.status, code: body?.error?.code }).toEqual({
    case: expected.case,
    status: expected.status,
    code: expected.code,
  });
  const error = body?.error as RefusalError;
  expect(error.message).toEqual(expect.any(String));
  expect(error.message.length).toBeGreaterThan(5);
  if (expected.message !== undefined) expect(error.message).toMatch(expected.message);
  expect(body?.requestId).toBe(answer.headers.get('x-request-id'));
  return error;
}

/** A fetch Response read as an ApiAnswer. */
export async function answerOf(response: Response): Promise<ApiAnswer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}
