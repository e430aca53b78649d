import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from '@platform/service-kit';
import { z } from 'zod';

const ipOrBlock = z.string().refine((value) => {
  const [address, prefix, ...rest] = value.split('/');
  return isIP(address ?? '') !== 0 && rest.length === 0 && (prefix === undefined || /^\d{1,3}$/.test(prefix));
}, 'must be an IP address or CIDR block, such as 203.0.113.7 or 203.0.113.0/24');

const schema = z
  .object({
    PROVISION_DEADLINE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(600_000),
    PROVISION_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    SNAPSHOT_DEADLINE_MS: z.coerce
      .number()
      .int()
      .min(1000)
      .max(6 * 3_600_000)
      .default(3_600_000),
    LOCAL_SERVERS_ROOT: z
      .string()
      .min(1)
      .default(join(homedir(), '.platform', 'servers')),
    /**
     * The platform's CA, its key sealed with PLATFORM_SECRET_KEY: made there on first start, shared by the
     * provisioner and the deployer (npm start keeps it in ~/.platform/ca.json). No default, so that no test or
     * stray start seals one into a developer's home with another key.
     */
    PLATFORM_CA_FILE: z.string().regex(/^\//, 'must be an absolute path'),
    LOCAL_AGENT_PORT: z.coerce.number().int().min(1).max(65535).default(7100),
    LOCAL_EDGE_HTTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    LOCAL_EDGE_HTTPS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    DIGITALOCEAN_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.digitalocean.com'),
    /** Stock image snapshot builders (and servers without a snapshot) boot; cloud-init installs the rest. */
    DIGITALOCEAN_BASE_IMAGE: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/)
      .default('ubuntu-24-04-x64'),
    DIGITALOCEAN_AGENT_PORT: z.coerce.number().int().min(1).max(65535).default(7100),
    /** Where the platform reaches agents from: their firewall opens the agent port to it alone. */
    PLATFORM_PUBLIC_ADDRESS: ipOrBlock.optional(),
    /** The agent release cloud-init installs on a stock image: where to download it, and its sha256. */
    AGENT_RELEASE_URL: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
    AGENT_RELEASE_SHA256: z
      .string()
      .regex(/^[a-f0-9]{64}$/, 'must be a sha256 in hex')
      .optional(),
    CLOUDFLARE_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.cloudflare.com/client/v4'),
  })
  .refine((config) => (config.AGENT_RELEASE_URL === undefined) === (config.AGENT_RELEASE_SHA256 === undefined), {
    path: ['AGENT_RELEASE_SHA256'],
    message: 'AGENT_RELEASE_URL and AGENT_RELEASE_SHA256 go together: set both or neither',
  });

export type ProvisionerConfig = z.infer<typeof schema>;

export function loadProvisionerConfig(env: NodeJS.ProcessEnv = process.env): ProvisionerConfig {
  return parseEnv(schema, env);
}
