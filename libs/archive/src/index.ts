export * from './limits';
export * from './extract';
export { packDirectory } from './pack';
export { safeRelativePath } from './entry-path';
