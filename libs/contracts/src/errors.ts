import { z } from 'zod';

/** Stable error codes: programs branch on these, so a code is never renamed or reused for another meaning. */
export const ErrorCodeSchema = z.enum([
  'validation_failed',
  'malformed_request',
  'invalid_message',
  'unauthorized',
  'forbidden',
  // Who may join the instance and how (see libs/identity: the signup policy and invitations).
  'signup_closed',
  'invite_not_found',
  'invite_used',
  'invite_expired',
  'invite_revoked',
  'workspace_limit_reached',
  'not_found',
  'conflict',
  /** A name the whole instance shares (a service's hostname) that another workspace holds. */
  'name_taken',
  'stream_version_conflict',
  'idempotency_key_reused',
  'payload_too_large',
  'unsupported_media_type',
  'archive_refused',
  /** A domain the platform cannot serve: no DNS provider of the workspace covers its zone, no certificate fits. */
  'domain_not_covered',
  'rate_limited',
  'timeout',
  'unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/**
 * The HTTP status each code is answered with, by the gateway and by the agents alike. `invalid_message` is a
 * message off its contract: from a service behind the gateway that is a bad gateway (502); the agent refuses a
 * caller's with 400 (see agentHttpStatus).
 */
export const httpStatusOfCode: Readonly<Record<ErrorCode, number>> = {
  validation_failed: 400,
  malformed_request: 400,
  unauthorized: 401,
  forbidden: 403,
  signup_closed: 403,
  invite_not_found: 404,
  invite_used: 409,
  invite_expired: 410,
  invite_revoked: 410,
  workspace_limit_reached: 403,
  not_found: 404,
  conflict: 409,
  name_taken: 409,
  stream_version_conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  archive_refused: 422,
  domain_not_covered: 422,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal: 500,
  invalid_message: 502,
  unavailable: 503,
  timeout: 504,
};

export const ErrorBodySchema = z.strictObject({
  code: ErrorCodeSchema,
  message: z.string(),
  details: z.array(z.unknown()).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** The public API's error shape: `{"error": {...}, "requestId": "..."}`. */
export const ApiErrorSchema = z.strictObject({
  error: ErrorBodySchema,
  requestId: z.string().optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/**
 * An expected refusal (bad input, missing resource, broken rule). It crosses process boundaries as an
 * ErrorBody, so the caller sees the same code and message whichever service raised it.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = 'DomainError';
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromBody(body: ErrorBody): DomainError {
    return new DomainError(body.code, body.message, body.details);
  }
}

/** Turns zod issues into error details a person can act on: which field, and what is wrong with it. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = describeIssues(result.error);
    // The message alone must say what to fix: it is what ends up in a failure reason or a log line.
    const said = issues
      .slice(0, 3)
      .map((issue) => `${issue.path} ${issue.message}`)
      .join('; ');
    throw new DomainError(
      'validation_failed',
      `${what} is not valid: ${said}${issues.length > 3 ? '; …' : ''}`,
      issues,
    );
  }
  return result.data;
}
