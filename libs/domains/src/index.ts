export * from './domains/decider';
export * from './domains/projection';
export * from './domains/queries';
export * from './dns/dns-provider';
export * from './placements/placements';
export * from './domains/process';
export * from './certificates/acme';
export * from './dns/workspace-dns';
