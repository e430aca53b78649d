/** Injection tokens of what the service kit provides to a service's controllers and providers. */
export const SERVICE_CONFIG = Symbol('ServiceConfig');
export const SERVICE_LOGGER = Symbol('ServiceLogger');
export const PG_POOL = Symbol('PgPool');
export const EVENT_STORE = Symbol('EventStore');
export const BUS = Symbol('Bus');
/** The environment the service was started with: for settings of its own, read with the same values as its config. */
export const SERVICE_ENV = Symbol('ServiceEnv');
/** The service's QueryCache: answers of `@OnQuery(..., { cached: true })` handlers, kept true by the projections' change notices. */
export const QUERY_CACHE = Symbol('QueryCache');
