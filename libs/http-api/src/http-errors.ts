import { HttpException } from '@nestjs/common';
import { DomainError, type ApiError, type ErrorCode } from '@platform/contracts';

export const statusOfCode: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  stream_version_conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal: 500,
  invalid_message: 502,
  unavailable: 503,
  timeout: 504,
};

export interface ErrorResponse {
  readonly status: number;
  readonly body: ApiError;
  /** Not a refusal but a fault of ours: worth logging in full. */
  readonly unexpected: boolean;
}

/** Fastify's own refusals (body parsing, limits), by its error codes. */
const fastifyErrors: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed_request', message: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'malformed_request', message: 'the body is empty; send a JSON object' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: 'the body is larger than this API accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', message: 'send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'malformed_request', message: 'the Content-Length does not match the body' },
};

/** Turns anything thrown while handling a request into the API's error shape, with a fitting status. */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  if (error instanceof DomainError) {
    return { status: statusOfCode[error.code], body: { error: error.toBody(), requestId }, unexpected: false };
  }
  const fastifyCode = (error as { code?: string }).code;
  const known = fastifyCode ? fastifyErrors[fastifyCode] : undefined;
  if (known) {
    return { status: statusOfCode[known.code], body: { error: known, requestId }, unexpected: false };
  }
  if ((error as { name?: string }).name === 'SyntaxError' && (error as { statusCode?: number }).statusCode === 400) {
    return { status: 400, body: { error: { code: 'malformed_request', message: 'the body is not valid JSON' }, requestId }, unexpected: false };
  }
  if (error instanceof HttpException && error.getStatus() === 404) {
    return {
      status: 404,
      body: { error: { code: 'not_found', message: 'no such route; see /v1/openapi.json for the routes there are' }, requestId },
      unexpected: false,
    };
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code: ErrorCode = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'malformed_request';
    return { status, body: { error: { code, message: (error as Error).message }, requestId }, unexpected: false };
  }
  return {
    status: 500,
    body: { error: { code: 'internal', message: `something failed on our side; retry, and report request ${requestId} if it persists` }, requestId },
    unexpected: true,
  };
}
