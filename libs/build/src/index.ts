export * from './base-images';
export * from './upload-store';
export * from './git-source';
export * from './stack-detection';
export * from './platform-json';
export * from './dockerfile';
export * from './build-context';
