import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from '@platform/service-kit';
import { z } from 'zod';

const schema = z.object({
  PROVISION_DEADLINE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(600_000),
  PROVISION_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  LOCAL_SERVERS_ROOT: z.string().min(1).default(join(homedir(), '.platform', 'servers')),
  LOCAL_AGENT_PORT: z.coerce.number().int().min(1).max(65535).default(7100),
  LOCAL_EDGE_HTTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  LOCAL_EDGE_HTTPS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
});

export type ProvisionerConfig = z.infer<typeof schema>;

export function loadProvisionerConfig(env: NodeJS.ProcessEnv = process.env): ProvisionerConfig {
  return parseEnv(schema, env);
}
