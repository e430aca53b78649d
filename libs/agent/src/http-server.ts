import { createHash } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import { PassThrough } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Agent } from './agent';
import type { AgentTls } from './tls';
import {
  AgentEndpoints,
  agentHttpStatus,
  ApplyRoutesRequestSchema,
  ChallengeTokenSchema,
  PutChallengeRequestSchema,
  ArchiveContentTypes,
  BuildImageQuerySchema,
  ContainerLogsQuerySchema,
  ContainerNameSchema,
  CutoverRequestSchema,
  DomainError,
  EMPTY_BODY_SHA256,
  ListContainersQuerySchema,
  ListImagesQuerySchema,
  NDJSON_CONTENT_TYPE,
  parseOrThrow,
  PruneImagesRequestSchema,
  PullImageRequestSchema,
  PushImageRequestSchema,
  RemoveImageRequestSchema,
  RunContainerRequestSchema,
  StopContainerRequestSchema,
  TagImageRequestSchema,
  type BuildProgressLine,
} from '@platform/contracts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body hash the request's signature covers. */
    signedSha256: string;
  }
}

const NameParams = z.strictObject({ name: ContainerNameSchema });
const TokenParams = z.strictObject({ token: ChallengeTokenSchema });

/**
 * Routes the agent's API to the Agent: parse, call, answer. HTTPS only (TLS 1.3, the certificate the platform's
 * CA issued), and every request must be signed.
 */
export function buildAgentServer(agent: Agent, logger: Logger, tls: AgentTls): FastifyInstance<HttpsServer> {
  const app = Fastify({
    logger: false,
    bodyLimit: 8 * 1024 * 1024,
    requestTimeout: 0,
    https: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3' },
  });
  app.decorateRequest('signedSha256', '');

  app.addHook('onRequest', async (request) => {
    request.signedSha256 = agent.authenticate({ method: request.method, url: request.url, headers: request.headers });
  });

  // JSON bodies are hashed as received and must be exactly what was signed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    if (createHash('sha256').update(body).digest('hex') !== request.signedSha256) {
      done(new DomainError('unauthorized', 'the request body is not the one that was signed'), undefined);
      return;
    }
    try {
      done(null, body.length === 0 ? undefined : JSON.parse(body.toString('utf8')));
    } catch {
      done(new DomainError('malformed_request', 'the request body is not valid JSON'), undefined);
    }
  });
  // Archives stream through untouched; the agent checks their hash while it stores them.
  app.addContentTypeParser(Object.values(ArchiveContentTypes), (_request, payload, done) => done(null, payload));

  app.addHook('preHandler', async (request) => {
    if (request.body === undefined && request.signedSha256 !== EMPTY_BODY_SHA256) {
      throw new DomainError('unauthorized', 'the request signed a body but sent none');
    }
  });

  app.setNotFoundHandler(async (request) => {
    throw new DomainError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
  });

  app.setErrorHandler(async (error: FastifyError | DomainError, request, reply) => {
    const domain = toDomainError(error);
    if (domain.code === 'internal')
      logger.error({ err: error, method: request.method, url: request.url }, 'request failed');
    else logger.debug({ code: domain.code, method: request.method, url: request.url }, domain.message);
    return reply.status(agentHttpStatus(domain.code)).send({ error: domain.toBody() });
  });

  const route = <P extends string>(endpoint: { method: string; path: P }) => ({
    method: endpoint.method as 'GET',
    url: endpoint.path,
  });

  app.route({ ...route(AgentEndpoints.health), handler: () => agent.status() });
  app.route({ ...route(AgentEndpoints.version), handler: () => agent.version() });

  app.route({
    ...route(AgentEndpoints.buildImage),
    handler: async (request, reply) => {
      const query = parseOrThrow(BuildImageQuerySchema, request.query, 'the build query');
      if (!isStream(request.body)) {
        throw new DomainError(
          'unsupported_media_type',
          `send the archive as ${Object.values(ArchiveContentTypes).join(', ')}`,
        );
      }
      const prepared = await agent.prepareBuild(query, request.body, request.signedSha256);
      const send = ndjson(reply);
      prepared
        .run((message) => send.line({ type: 'log', message }))
        .then(
          (result) => send.line({ type: 'result', ...result }),
          (error: unknown) => {
            // The caller gets the failure; whoever runs the server sees it too, with the cause of an internal one.
            logger.warn({ err: error, image: `${query.repository}:${query.tag}` }, 'build failed');
            send.line({ type: 'error', error: toDomainError(error).toBody() });
          },
        )
        .finally(() => {
          send.end();
          return prepared.dispose();
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'cleaning up a build failed'));
      return reply;
    },
  });

  app.route({
    ...route(AgentEndpoints.pullImage),
    handler: (request) => {
      const { image, auth } = parseOrThrow(PullImageRequestSchema, request.body, 'the pull request');
      return agent.pullImage(image, auth);
    },
  });
  app.route({
    ...route(AgentEndpoints.pushImage),
    handler: (request) => agent.pushImage(parseOrThrow(PushImageRequestSchema, request.body, 'the push request')),
  });
  app.route({
    ...route(AgentEndpoints.tagImage),
    handler: (request) => agent.tagImage(parseOrThrow(TagImageRequestSchema, request.body, 'the tag request')),
  });
  app.route({
    ...route(AgentEndpoints.listImages),
    handler: async (request) => ({
      images: await agent.listImages(parseOrThrow(ListImagesQuerySchema, request.query, 'the query').service),
    }),
  });
  app.route({
    ...route(AgentEndpoints.removeImage),
    handler: (request) => agent.removeImage(parseOrThrow(RemoveImageRequestSchema, request.body, 'the request').image),
  });
  app.route({
    ...route(AgentEndpoints.pruneImages),
    handler: (request) => {
      const body = parseOrThrow(PruneImagesRequestSchema, request.body, 'the prune request');
      return agent.pruneImages(body.keep, body.service);
    },
  });

  app.route({
    ...route(AgentEndpoints.runContainer),
    handler: async (request, reply) =>
      reply
        .status(201)
        .send(await agent.runContainer(parseOrThrow(RunContainerRequestSchema, request.body, 'the container'))),
  });
  app.route({
    ...route(AgentEndpoints.listContainers),
    handler: async (request) => ({
      containers: await agent.listContainers(
        parseOrThrow(ListContainersQuerySchema, request.query, 'the query').service,
      ),
    }),
  });
  app.route({
    ...route(AgentEndpoints.stopContainer),
    handler: (request) => {
      const { name } = parseOrThrow(NameParams, request.params, 'the container name');
      const body = parseOrThrow(StopContainerRequestSchema, request.body ?? {}, 'the stop request');
      return agent.stopContainer(name, body.graceSeconds, body.remove);
    },
  });
  app.route({
    ...route(AgentEndpoints.containerLogs),
    handler: async (request, reply) => {
      const { name } = parseOrThrow(NameParams, request.params, 'the container name');
      const query = parseOrThrow(ContainerLogsQuerySchema, request.query, 'the logs query');
      const logs = await agent.containerLogs(name, query);
      // Following logs stays open until the caller goes away.
      reply.raw.on('close', () => logs.destroy());
      return reply.type('text/plain; charset=utf-8').send(logs);
    },
  });
  app.route({
    ...route(AgentEndpoints.containerHealth),
    handler: (request) => agent.containerHealth(parseOrThrow(NameParams, request.params, 'the container name').name),
  });

  app.route({
    ...route(AgentEndpoints.applyRoutes),
    handler: (request) =>
      agent.applyRoutes(parseOrThrow(ApplyRoutesRequestSchema, request.body, 'the route table').routes),
  });
  app.route({ ...route(AgentEndpoints.getRoutes), handler: () => ({ routes: agent.routes() }) });
  app.route({
    ...route(AgentEndpoints.putChallenge),
    handler: async (request) => {
      const { token } = parseOrThrow(TokenParams, request.params, 'the challenge token');
      const { keyAuthorization } = parseOrThrow(PutChallengeRequestSchema, request.body, 'the challenge');
      await agent.putChallenge(token, keyAuthorization);
      return { token };
    },
  });
  app.route({
    ...route(AgentEndpoints.removeChallenge),
    handler: async (request) => {
      const { token } = parseOrThrow(TokenParams, request.params, 'the challenge token');
      await agent.removeChallenge(token);
      return { token };
    },
  });

  app.route({
    ...route(AgentEndpoints.cutover),
    handler: async (request, reply) => {
      const spec = parseOrThrow(CutoverRequestSchema, request.body, 'the cutover request');
      const send = ndjson(reply);
      // The cutover runs to its end even if the caller goes away: stopping half-way would be worse.
      agent
        .cutover(spec, (line) => send.line(line))
        .finally(() => send.end())
        .catch((error: unknown) => logger.error({ err: error }, 'cutover crashed'));
      return reply;
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    logger.debug(
      {
        method: request.method,
        url: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  return app;
}

function isStream(body: unknown): body is NodeJS.ReadableStream {
  return typeof body === 'object' && body !== null && typeof (body as NodeJS.ReadableStream).pipe === 'function';
}

/** Starts an NDJSON answer: one JSON object per line, flushed as each is written. */
function ndjson(reply: FastifyReply): { line: (value: BuildProgressLine | object) => void; end: () => void } {
  const stream = new PassThrough();
  void reply.type(NDJSON_CONTENT_TYPE).send(stream);
  return {
    line: (value) => {
      if (!stream.writableEnded) stream.write(`${JSON.stringify(value)}\n`);
    },
    end: () => stream.end(),
  };
}

const FASTIFY_CODES: Record<string, DomainError['code']> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed_request',
};

function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  const code = (error as FastifyError).code;
  if (code && FASTIFY_CODES[code]) return new DomainError(FASTIFY_CODES[code], (error as Error).message);
  return new DomainError('internal', 'the agent failed to handle the request');
}
