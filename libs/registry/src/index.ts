export * from './image-registry';
export {
  SelfHostedRegistry,
  DEFAULT_REGISTRY_BIN,
  type SelfHostedRegistryOptions,
} from './self-hosted/self-hosted-registry';
export { RegistryTokenSigner, libtrustKeyId } from './self-hosted/token-signer';
export { DocrRegistry, type DocrApi } from './docr/docr-registry';
