import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger } from 'pino';

interface Correlation {
  readonly correlationId: string;
  readonly commandId?: string;
}

const correlation = new AsyncLocalStorage<Correlation>();

/** Runs `work` with the ids every log line inside it carries, however deep the call goes. */
export function withCorrelation<T>(ids: Correlation, work: () => T): T {
  return correlation.run(ids, work);
}

/**
 * Secrets never reach a log line: these keys are censored wherever they appear in the first two levels of a
 * logged object (pino's redaction has no deeper wildcard).
 */
const SECRET_KEYS = [
  'password',
  'token',
  'secret',
  'authorization',
  'cookie',
  'apiKey',
  'privateKey',
  'env',
  'userData',
];
export const REDACTED_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(
  options: { name: string; level: string; replicaId?: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      base: { service: options.name, replica: options.replicaId },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: () => ({ ...correlation.getStore() }),
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/** Nest's own messages go through the same pino logger, so a service writes one log format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...context: unknown[]): void {
    this.logger.info({ context: context.at(-1) }, String(message));
  }
  error(message: unknown, ...context: unknown[]): void {
    this.logger.error({ context: context.at(-1), trace: context.length > 1 ? context[0] : undefined }, String(message));
  }
  warn(message: unknown, ...context: unknown[]): void {
    this.logger.warn({ context: context.at(-1) }, String(message));
  }
  debug(message: unknown, ...context: unknown[]): void {
    this.logger.debug({ context: context.at(-1) }, String(message));
  }
  verbose(message: unknown, ...context: unknown[]): void {
    this.logger.trace({ context: context.at(-1) }, String(message));
  }
}
