import { ApiErrorSchema, type ApiRoute } from '@platform/contracts';
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const errorStatuses: Record<string, string> = {
  '400': 'The request is malformed or breaks the contract (details name each field)',
  '401': 'No valid credential',
  '403': 'The credential may not do this',
  '404': 'Not found (also: belongs to another workspace)',
  '409': 'Conflicts with the current state',
  '410': 'An invitation expired or was revoked',
  '413': 'The body is too large',
  '415': 'The body is not JSON',
  '422': 'The Idempotency-Key was used for another request',
  '429': 'Too many requests; see Retry-After',
};

/**
 * The OpenAPI 3.1 document of the API, generated from the same route contracts the gateway serves; `schemas` adds
 * named schemas to its components (the event catalogue's).
 */
export function buildOpenApiDocument(
  routes: readonly ApiRoute[],
  info: { title: string; version: string; description: string },
  schemas: Record<string, JsonSchema> = {},
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [location, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const properties = (jsonSchema(schema, 'input').properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((jsonSchema(schema, 'input').required as string[] | undefined) ?? []);
      for (const [name, property] of Object.entries(properties)) {
        parameters.push({ name, in: location, required: location === 'path' || required.has(name), schema: property });
      }
    }
    if (route.auth !== 'public') {
      parameters.push({
        name: 'X-Workspace-Id',
        in: 'header',
        required: false,
        description: "The workspace to act in, for a session that belongs to several (default: the session's own)",
        schema: { type: 'string', format: 'uuid' },
      });
    }
    if (route.method === 'POST') {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'A retry with the same key gets the first answer instead of doing the work twice',
        schema: { type: 'string', maxLength: 255 },
      });
    }
    // A command's route: answered once the command is applied, unless asked not to wait (see CommandGateway.send).
    const command = route.success.status === 202;
    if (command) {
      parameters.push({
        name: 'Prefer',
        in: 'header',
        required: false,
        description: '`respond-async`: answer once the command is stored, without waiting for it to be applied',
        schema: { type: 'string' },
      });
    }
    const commandHeaders = command
      ? {
          headers: {
            'X-Command-Status': {
              description:
                '`applied` (the next request sees it) or `pending` (stored, applied later); a command its service refuses is answered with that error instead',
              schema: { type: 'string', enum: ['applied', 'pending'] },
            },
          },
        }
      : {};
    const success = route.stream
      ? { description: route.success.description, content: { 'text/event-stream': { schema: { type: 'string' } } } }
      : route.success.schema
        ? {
            description: route.success.description,
            content: { 'application/json': { schema: jsonSchema(route.success.schema, 'output') } },
          }
        : { description: route.success.description };
    const errors = Object.fromEntries(
      Object.entries(errorStatuses)
        // A public route refuses by policy (signup closed) but never for a missing credential.
        .filter(([status]) => route.auth !== 'public' || status !== '401')
        .map(([status, description]) => [status, { $ref: `#/components/responses/Error${status}`, description }]),
    );
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: route.auth === 'public' ? [] : [{ bearer: [] }, { sessionCookie: [] }],
      ...(route.auth !== 'public' ? { 'x-required-scope': route.auth } : {}),
      parameters,
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses: { [String(route.success.status)]: { ...success, ...commandHeaders }, ...errors },
    };
  }
  const errorSchema = jsonSchema(ApiErrorSchema, 'output');
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session token (pls_…) from login, or an API token (plt_…)',
        },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'session' },
      },
      schemas: { Error: errorSchema, ...schemas },
      responses: Object.fromEntries(
        Object.entries(errorStatuses).map(([status, description]) => [
          `Error${status}`,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
    },
  };
}
