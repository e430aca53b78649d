export { AppliedCommands, type CommandSettlement, type CommandWait } from './applied-commands';
export { Bus, type BusConnectOptions, type PublishedEvent, type SendCommandOptions, type SentCommand } from './bus';
export {
  CommandConsumer,
  UnprocessableMessageError,
  type CommandConsumerOptions,
  type CommandDelivery,
  type CommandHandled,
  type CommandHandler,
} from './command-consumer';
export { CommandOutcomeWatch } from './command-outcomes';
export { DeadLetterHeaders } from './dead-letters';
export {
  EventSubscription,
  type EventDelivery,
  type EventHandler,
  type EventStart,
  type EventSubscriptionOptions,
} from './event-subscription';
export type { BusLogger } from './logger';
export {
  QueryServer,
  queryRoute,
  type QueryHandler,
  type QueryInput,
  type QueryOptions,
  type QueryRoute,
  type QueryServerOptions,
} from './queries';
export { QueryCache, type CacheStamp, type QueryCacheLimits } from './query-cache';
export { DEFAULT_EVENTS_MAX_AGE_MS, DUPLICATE_WINDOW_MS, type StreamOptions } from './streams';
export { JetStreamCommandContext, NatsQueryContext } from './nest/contexts';
export { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from './nest/decorators';
export { JetStreamTransport, type JetStreamTransportOptions } from './nest/jetstream-transport';
