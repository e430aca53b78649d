import { DomainError, type ApiRoute } from '@platform/contracts';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

const noQuery = z.strictObject({});

function parsePart(schema: z.ZodType | undefined, value: unknown, part: 'params' | 'query' | 'body'): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new DomainError(
    'validation_failed',
    `the request ${part === 'body' ? 'body' : part === 'query' ? 'query string' : 'path'} is not valid`,
    result.error.issues.map((issue) => ({ path: [part, ...issue.path.map(String)].join('.'), message: issue.message })),
  );
}

function isStream(value: unknown): value is NodeJS.ReadableStream {
  return typeof (value as { pipe?: unknown } | null)?.pipe === 'function';
}

/** Parses a request's path, query and body with its route's contract; unknown fields are refused. */
export function parseInput(
  route: ApiRoute,
  request: FastifyRequest,
): { params: unknown; query: unknown; body: unknown } {
  const hasBody = request.body !== undefined && request.body !== null;
  if (route.upload) {
    if (!isStream(request.body)) {
      throw new DomainError(
        'unsupported_media_type',
        'send the archive as the raw body with Content-Type application/gzip or application/zip',
      );
    }
    return {
      params: parsePart(route.params, request.params, 'params'),
      query: parsePart(route.query ?? noQuery, request.query ?? {}, 'query'),
      body: request.body,
    };
  }
  if (route.body && !hasBody) {
    throw new DomainError('malformed_request', 'this route needs a JSON body (Content-Type: application/json)');
  }
  if (!route.body && hasBody) {
    throw new DomainError('validation_failed', 'this route takes no body; send none');
  }
  return {
    params: parsePart(route.params, request.params, 'params'),
    query: parsePart(route.query ?? noQuery, request.query ?? {}, 'query'),
    body: parsePart(route.body, request.body, 'body'),
  };
}
