// The port is the servers domain's; the adapters here implement it.
export {
  MANAGED_SERVER_TAG,
  UnmanagedResourceError,
  type CloudAccount,
  type CloudProvider,
  type CloudRegion,
  type CloudServer,
  type CloudSize,
  type CloudSnapshot,
  type CreatedServer,
  type DeleteOptions,
  type ProvisioningCloudProvider,
  type ServerRequest,
  type ServerSource,
  type ServerStatus,
  type WaitOptions,
} from '@platform/servers';
