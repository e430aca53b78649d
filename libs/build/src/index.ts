export * from './base-images';
export * from './upload-store';
