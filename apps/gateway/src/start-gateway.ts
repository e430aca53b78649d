import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  answerFrameworkError,
  captureGatewayRequests,
  configureHttp,
  loadGatewayConfig,
  type ApiRouter,
  type GatewayConfig,
} from '@platform/http-api';
import { createLogger, PinoNestLogger } from '@platform/service-kit';
import type { DestinationStream, Logger } from 'pino';
import { API_CONTROLLERS, GatewayModule } from './gateway.module';
import { API_ROUTER } from './tokens';

export interface RunningGateway {
  readonly app: INestApplication;
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the gateway: validated config, the HTTP conventions, the API routes, the event feed. */
export async function startGateway(
  options: { env?: NodeJS.ProcessEnv; handleSignals?: boolean; logDestination?: DestinationStream } = {},
): Promise<RunningGateway> {
  const config = loadGatewayConfig(options.env);
  const logger = createLogger(
    { name: 'gateway', level: config.LOG_LEVEL, replicaId: config.REPLICA_ID },
    options.logDestination,
  );
  const adapter = new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    return503OnClosing: true,
    frameworkErrors: answerFrameworkError,
    // Only the proxies named in TRUST_PROXY (the console, a load balancer) may say who the client is.
    trustProxy: config.TRUST_PROXY.length ? config.TRUST_PROXY : false,
  });
  await configureHttp(adapter.getInstance(), config);
  if (config.METRICS_CAPTURE === 'on') captureGatewayRequests(adapter.getInstance(), config, logger);
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config, logger), adapter, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  app.get<ApiRouter>(API_ROUTER).register(
    adapter.getInstance(),
    API_CONTROLLERS.map((controller) => app.get<object>(controller)),
  );
  if (options.handleSignals ?? true) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(config.GATEWAY_PORT, config.GATEWAY_HOST);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  logger.info({ url, docs: `${url}/docs` }, 'gateway started');
  return { app, config, logger, url, stop: () => app.close() };
}
