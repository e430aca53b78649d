export * from './client';
export { sha256OfFile } from './files';
