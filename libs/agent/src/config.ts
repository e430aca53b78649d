import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** A setting that failed validation; the agent stops with every bad setting named. */
export class AgentConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid agent configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'AgentConfigError';
  }
}

const port = z.coerce.number().int().min(1).max(65535);
const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address');
const absolutePath = z.string().regex(/^\//, 'must be an absolute path');
const bytes = z.coerce.number().int().min(1);

const AgentEnvSchema = z.object({
  AGENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be letters, digits, "_", "." and "-"')
    .default(hostname().slice(0, 64)),
  AGENT_HOST: ipv4.default('127.0.0.1'),
  AGENT_PORT: port.default(7100),
  AGENT_SECRET_FILE: absolutePath,
  AGENT_TLS_CERT_FILE: absolutePath,
  AGENT_TLS_KEY_FILE: absolutePath,
  AGENT_DATA_DIR: absolutePath.default('/var/lib/platform-agent'),
  DOCKER_SOCKET: absolutePath.default('/var/run/docker.sock'),
  NGINX_BIN: z.string().min(1).default('nginx'),
  NGINX_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  EDGE_ADDRESS: ipv4.default('0.0.0.0'),
  EDGE_HTTP_PORT: port.default(80),
  EDGE_HTTPS_PORT: port.default(443),
  UPSTREAM_HOST: ipv4.default('127.0.0.1'),
  ARCHIVE_MAX_UPLOAD_BYTES: bytes.default(512 * 1024 * 1024),
  ARCHIVE_MAX_UNPACKED_BYTES: bytes.default(2 * 1024 * 1024 * 1024),
  ARCHIVE_MAX_ENTRIES: bytes.default(50_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/** The agent's settings, validated once at start-up. */
export interface AgentConfig {
  /** Names this agent's containers (local servers share one Docker engine). */
  readonly agentId: string;
  readonly http: { readonly host: string; readonly port: number };
  readonly secretFile: string;
  /** The agent serves HTTPS only, with the certificate the platform's CA issued for its address. */
  readonly tls: { readonly certFile: string; readonly keyFile: string };
  readonly dataDir: string;
  readonly dockerSocket: string;
  readonly nginx: {
    readonly bin: string;
    /** The nginx prefix the agent owns: configuration, certificates, pid, logs and temp files. */
    readonly prefix: string;
    readonly workers: number;
  };
  readonly edge: { readonly address: string; readonly httpPort: number; readonly httpsPort: number };
  /** Where container ports are published, for nginx to reach them. */
  readonly upstreamHost: string;
  readonly archive: { readonly maxUploadBytes: number; readonly maxUnpackedBytes: number; readonly maxEntries: number };
  readonly logLevel: z.infer<typeof AgentEnvSchema>['LOG_LEVEL'];
}

export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const parsed = AgentEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new AgentConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]);
        return `${key}: ${issue.message}${env[key] === undefined ? ' (not set)' : ` (got ${JSON.stringify(env[key])})`}`;
      }),
    );
  }
  const raw = parsed.data;
  return {
    agentId: raw.AGENT_ID,
    http: { host: raw.AGENT_HOST, port: raw.AGENT_PORT },
    secretFile: raw.AGENT_SECRET_FILE,
    tls: { certFile: raw.AGENT_TLS_CERT_FILE, keyFile: raw.AGENT_TLS_KEY_FILE },
    dataDir: raw.AGENT_DATA_DIR,
    dockerSocket: raw.DOCKER_SOCKET,
    nginx: { bin: raw.NGINX_BIN, prefix: join(raw.AGENT_DATA_DIR, 'nginx'), workers: raw.NGINX_WORKERS },
    edge: { address: raw.EDGE_ADDRESS, httpPort: raw.EDGE_HTTP_PORT, httpsPort: raw.EDGE_HTTPS_PORT },
    upstreamHost: raw.UPSTREAM_HOST,
    archive: {
      maxUploadBytes: raw.ARCHIVE_MAX_UPLOAD_BYTES,
      maxUnpackedBytes: raw.ARCHIVE_MAX_UNPACKED_BYTES,
      maxEntries: raw.ARCHIVE_MAX_ENTRIES,
    },
    logLevel: raw.LOG_LEVEL,
  };
}
