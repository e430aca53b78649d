export * from './domains/decider';
export * from './domains/projection';
export * from './domains/queries';
export * from './dns/dns-provider';
