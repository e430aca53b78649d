export * from './cloud-provider';
export { LocalCloudProvider, type LocalCloudOptions } from './local/local-cloud';

// DigitalOcean, the provisioner's extended port, and cloud-init for platform servers.
export {
  DigitalOceanApi,
  DIGITALOCEAN_API_URL,
  type ActionWaitOptions,
  type DigitalOceanApiOptions,
  type DigitalOceanAccount,
  type DigitalOceanAction,
  type DigitalOceanRegion,
  type DigitalOceanRegistry,
  type DigitalOceanSize,
  type DigitalOceanSnapshot,
  type Droplet,
  type DropletActionRequest,
  type DropletCreateRequest,
  type DropletSnapshot,
} from './digitalocean/client';
export {
  DigitalOceanCloudProvider,
  type DigitalOceanCloudOptions,
  type DigitalOceanCreatedServer,
  type DigitalOceanServer,
} from './digitalocean/digitalocean-cloud';
export { DigitalOceanActionError, DigitalOceanError, type DigitalOceanErrorDetail } from './digitalocean/errors';
export { DEFAULT_RETRY_POLICY, type Clock, type RetryPolicy, type TransportEvent } from './digitalocean/transport';
export {
  CloudInitUserData,
  DEFAULT_AGENT_PORT,
  renderPlatformServerUserData,
  SERVER_PATHS,
  type AgentTarball,
  type PlatformServerOptions,
  type ServerBase,
} from './cloud-init/platform-server';
export { CLOUDFLARE_API_URL, verifyCloudflareToken } from './cloudflare/verify-token';
export {
  CloudflareDns,
  type CloudflareDnsOptions,
  type CloudflareZone,
  type CloudflareWantedRecord,
} from './cloudflare/dns';
