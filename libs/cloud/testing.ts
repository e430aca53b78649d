// Fakes of the clouds for tests elsewhere in the repository: they check every request and answer against the
// providers' official API documents. Never imported by running code.
export { FakeDigitalOcean } from './src/digitalocean/test-support/fake-digitalocean';
export { FakeCloudflare, type FakeZone } from './src/cloudflare/test-support/fake-cloudflare';
export { DropletAgents } from './src/digitalocean/test-support/droplet-agents';
