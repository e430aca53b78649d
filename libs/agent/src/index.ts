export * from './config';
export * from './agent';
export { buildAgentServer } from './http-server';
export { readAgentTls, type AgentTls } from './tls';
export type { PreparedBuild } from './image-build';
export type { ProgressSink } from './cutover';
export { nginxLayout, renderMainConfig, renderRoutesConfig } from './edge/nginx-config';
