import { HttpException } from '@nestjs/common';
import { DomainError, httpStatusOfCode, type ApiError, type ErrorCode } from '@platform/contracts';

export interface ErrorResponse {
  readonly status: number;
  readonly body: ApiError;
  /** Not a refusal but a fault of ours: worth logging in full. */
  readonly unexpected: boolean;
}

/** What a refusal of the HTTP layer (body parsing and limits, unknown routes) means for the caller. */
function codeOfHttpStatus(status: number): ErrorCode {
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  return 'malformed_request';
}

/** Fastify's own wording for these says what is wrong but not what to send instead. */
const layerRefusalMessages: Partial<Record<ErrorCode, string>> = {
  not_found: 'no such route; see /v1/openapi.json for the routes there are',
  unsupported_media_type:
    'send the body as JSON with Content-Type: application/json (archive uploads: application/gzip or application/zip)',
};

/** Turns anything thrown while handling a request into the API's error shape, with a fitting status. */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  if (error instanceof DomainError) {
    return { status: httpStatusOfCode[error.code], body: { error: error.toBody(), requestId }, unexpected: false };
  }
  // Fastify refuses bodies before any handler runs; Nest hands those refusals over as HttpExceptions.
  const status = error instanceof HttpException ? error.getStatus() : (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = codeOfHttpStatus(status);
    const message = layerRefusalMessages[code] ?? ((error as Error).message || 'the request is malformed');
    return { status, body: { error: { code, message }, requestId }, unexpected: false };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'internal',
        message: `something failed on our side; retry, and report request ${requestId} if it persists`,
      },
      requestId,
    },
    unexpected: true,
  };
}
