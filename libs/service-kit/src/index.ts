export * from './config';
export * from './logging';
export * from './event-ids';
export * from './tokens';
export * from './decider-command-handler';
export * from './service-runtime';
export * from './service-kit.module';
export * from './start-service';
