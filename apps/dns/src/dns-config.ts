import { createHmac } from 'node:crypto';
import { parseEnv } from '@platform/service-kit';
import { z } from 'zod';

const schema = z.object({
  /** How often domains with work to do are looked at (sooner when one of them changes). */
  DNS_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  /** Where Cloudflare's API is (tests point it at a fake). */
  CLOUDFLARE_API_URL: z.url().default('https://api.cloudflare.com/client/v4'),
  /** Per request to Cloudflare; a request taking longer is retried like a 5xx. */
  CLOUDFLARE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  PLATFORM_SECRET_KEY: z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes in hex'),
});

export type DnsConfig = z.infer<typeof schema> & {
  /** Names this instance in the comment of each DNS record it makes; derived from its secret key, so stable. */
  readonly instanceId: string;
};

/** The dns service's own settings, on top of every service's (validated at start-up, naming any bad one). */
export function loadDnsConfig(env: NodeJS.ProcessEnv = process.env): DnsConfig {
  const config = parseEnv(schema, env);
  const instanceId = createHmac('sha256', Buffer.from(config.PLATFORM_SECRET_KEY, 'hex'))
    .update('dns record marker')
    .digest('hex')
    .slice(0, 12);
  return { ...config, instanceId };
}
