export * from './config';
export * from './agent';
export type { PreparedBuild } from './image-build';
export type { ProgressSink } from './cutover';
export { NginxProcess } from './edge/nginx-process';
export { nginxLayout, renderMainConfig, renderRoutesConfig } from './edge/nginx-config';
