export * from './signing';
export * from './secret';
export * from './client';
export { sha256OfFile } from './files';
