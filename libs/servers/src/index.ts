export * from './cloud-provider';
export * from './server-decider';
export * from './servers-projection';
export * from './server-queries';
export * from './provider-registry';
export * from './server-provisioning';
