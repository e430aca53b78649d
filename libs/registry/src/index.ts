export * from './image-registry';
export {
  DEFAULT_REGISTRY_BIN,
  SelfHostedRegistry,
  type SelfHostedRegistryOptions,
} from './self-hosted/self-hosted-registry';
export { DOCR_HOST, DocrRegistry, type DocrApi } from './docr/docr-registry';
