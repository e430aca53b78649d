import { pino } from 'pino';

/** The little the bus needs from a logger; a pino logger fits as it is. */
export interface BusLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export function defaultBusLogger(name: string): BusLogger {
  return pino({ name });
}

/** A message safe to log: the error's own text, never the payload it was working on. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
