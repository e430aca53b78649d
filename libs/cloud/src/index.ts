export * from './cloud-provider';
export { LocalCloudProvider, type LocalCloudOptions } from './local/local-cloud';
