import { z } from 'zod';

/**
 * Docker labels the agent puts on everything it creates. Images and containers without `managed` are not the
 * platform's: the agent never lists, stops, removes or prunes them.
 */
export const AgentLabels = {
  managed: 'io.platform.managed',
  service: 'io.platform.service',
  /** The workspace whose deployment built or tagged an image: only its own service may use it again. */
  workspace: 'io.platform.workspace',
  /** Which agent (server) runs a container; local servers share one Docker engine. */
  agent: 'io.platform.agent',
  /** The container port the app listens on, published on the loopback for nginx. */
  port: 'io.platform.port',
  /** The container's health check, as JSON, so it survives an agent restart. */
  healthCheck: 'io.platform.health-check',
} as const;

/** A Docker container name the agent will create or act on. */
export const ContainerNameSchema = z
  .string()
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/,
    'must be letters, digits, "_", "." and "-", starting with a letter or digit',
  );

/** A service's id or slug; groups a service's images and containers for pruning and listing. */
export const ServiceKeySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be lower-case letters, digits, "_", "." and "-"');

/** An image repository name without tag, as Docker accepts: `name`, `registry:5000/team/name`. */
export const ImageRepositorySchema = z
  .string()
  .max(200)
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
    'must be an image repository such as "registry.example.com/team/web"',
  );

/** Every image the platform deploys is tagged `deploy_<first 8 characters of the deployment id>`. */
export const DEPLOY_TAG_PREFIX = 'deploy_';
export const ImageTagSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a Docker image tag');

export function deployTag(deploymentId: string): string {
  return `${DEPLOY_TAG_PREFIX}${deploymentId.replace(/-/g, '').slice(0, 8)}`;
}

/** A DNS hostname, optionally a leading wildcard label; nothing that could break out of an nginx directive. */
export const HostnameSchema = z
  .string()
  .max(253)
  .transform((value) => value.toLowerCase())
  .pipe(
    z
      .string()
      .regex(
        /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
        'must be a hostname such as "app.example.com"',
      ),
  );

export const PortSchema = z.int().min(1).max(65535);

/** One line of a streamed (NDJSON) answer that failed: the same error shape as a 4xx/5xx body. */
export const StreamErrorLineSchema = z.strictObject({
  type: z.literal('error'),
  error: z.strictObject({ code: z.string(), message: z.string(), details: z.array(z.unknown()).optional() }),
});
