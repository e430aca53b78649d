export * from './base-images';
