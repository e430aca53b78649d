export * from './errors';
export * from './messages';
export * from './definitions';
export * from './subjects';
export * from './deployments/deploy-configs';
export * from './api/identity';
export * from './api/routes';
export * from './agent';
