import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BUILD_LOG_KEEP_BYTES } from '@platform/deployments';
import { DEFAULT_REGISTRY_BIN } from '@platform/registry';
import { parseEnv } from '@platform/service-kit';
import { z } from 'zod';

const schema = z.object({
  DEPLOY_DEADLINE_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .max(6 * 3_600_000)
    .default(1_800_000),
  DEPLOY_HEALTH_TIMEOUT_MS: z.coerce.number().int().min(1000).max(900_000).default(60_000),
  DEPLOY_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  DEPLOY_KEEP_IMAGES: z.coerce.number().int().min(1).max(100).default(5),
  /** A build log keeps its first and its last this many bytes of output (see BuildLog). */
  BUILD_LOG_KEEP_BYTES: z.coerce
    .number()
    .int()
    .min(4096)
    .max(16 * 1024 * 1024)
    .default(DEFAULT_BUILD_LOG_KEEP_BYTES),
  UPLOADS_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.platform', 'uploads')),
  /**
   * The platform's CA, its key sealed with PLATFORM_SECRET_KEY: made there on first start, shared by the
   * provisioner and the deployer (npm start keeps it in ~/.platform/ca.json). No default, so that no test or
   * stray start seals one into a developer's home with another key.
   */
  PLATFORM_CA_FILE: z.string().regex(/^\//, 'must be an absolute path'),
  /** The port of this machine's front door (see scripts/platform.ts): the apps' URLs carry it unless it is 80. */
  LOCAL_FRONT_DOOR_PORT: z.coerce.number().int().min(1).max(65535).default(80),
  /** Where the deployer keeps this machine's front door (an nginx on 127.0.0.1), when the platform runs one. */
  LOCAL_FRONT_DOOR_DIR: z.string().min(1).optional(),
  /** How long a deployed service may take to answer through its ways in (front door, edges) before it fails. */
  DEPLOY_REACHABLE_WITHIN_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /**
   * Where the platform's own image registry (CNCF Distribution) keeps its images, configuration and token signer:
   * when set, the deployer runs it and every deployment's image travels through it (built once, pulled by digest).
   */
  REGISTRY_DIR: z.string().regex(/^\//, 'must be an absolute path').optional(),
  /** The address and port the registry listens on, which servers pull from (the local cloud's reach 127.0.0.1). */
  REGISTRY_ADDRESS: z.ipv4().default('127.0.0.1'),
  REGISTRY_PORT: z.coerce.number().int().min(1).max(65535).default(5443),
  /** Deployment images kept per service in the registry; older ones are deleted (never one a deployment needs). */
  REGISTRY_KEEP_IMAGES: z.coerce.number().int().min(1).max(1000).default(10),
  /** The registry's binary (Debian's docker-registry). */
  REGISTRY_BIN: z.string().regex(/^\//, 'must be an absolute path').default(DEFAULT_REGISTRY_BIN),
});

export type DeployerConfig = z.infer<typeof schema>;

/** The deployer's own settings, on top of every service's (validated at start-up, naming any bad one). */
export function loadDeployerConfig(env: NodeJS.ProcessEnv = process.env): DeployerConfig {
  return parseEnv(schema, env);
}
