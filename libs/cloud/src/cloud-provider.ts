// The port is the servers domain's; the adapters here implement it.
export { MANAGED_SERVER_TAG, type CloudProvider, type CloudServer, type CreatedServer, type ServerRequest, type ServerStatus } from '@platform/servers';
