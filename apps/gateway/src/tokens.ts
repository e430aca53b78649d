/** Injection tokens of the gateway's shared parts (the http-api lib defines those its guard and filter use). */
export const GATEWAY_CONFIG = Symbol('GatewayConfig');
export const PG_POOL = Symbol('PgPool');
export const REDIS = Symbol('Redis');
export const BUS = Symbol('Bus');
export const EVENT_FEED = Symbol('EventFeed');
export const EVENT_HUB = Symbol('EventHub');
export const EVENT_STREAMS = Symbol('EventStreams');
export const COMMANDS = Symbol('CommandGateway');
export const SECRETS = Symbol('SecretBox');
export const UPLOADS = Symbol('UploadStore');
export const API_ROUTER = Symbol('ApiRouter');
