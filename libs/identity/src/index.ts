export * from './access';
export * from './credentials';
export * from './credential-cache';
export * from './identity-service';
export * from './migrations';
export * from './passwords';
