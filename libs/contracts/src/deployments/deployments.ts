import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../definitions';
import { pageOf, paginationParams } from '../messages';
import { DEPLOYMENTS, DeploySourceSchema } from './deploy-configs';

const projectId = z.uuid();
const serviceId = z.uuid();
const deploymentId = z.uuid();

/** A name people read in lists and URLs: `web`, `billing-api`. It also names the service's hostname. */
export const SlugNameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(40)
  .regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
    'must be lower-case letters, digits and dashes, starting and ending with a letter or digit',
  );

/** An environment variable's name: no `=`, no newline, nothing a shell or Docker would read differently. */
export const EnvNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must start with a letter or "_" and hold only letters, digits and "_"');
export const EnvValuesSchema = z
  .record(EnvNameSchema, z.string().max(32_768))
  .refine((env) => Object.keys(env).length <= 200, 'at most 200 variables');

export const HealthCheckPathSchema = z
  .string()
  .max(1024)
  .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/, 'must be a URL path starting with "/"');

/** The sealing context of a service's environment variable: the gateway seals it, the deployer opens it. */
export function envSecretContext(workspaceId: string, serviceId: string, name: string): string {
  return `${workspaceId}:service:${serviceId}:env:${name}`;
}

/** Environment values as stored: each sealed (AES-256-GCM) for its service and name, never in plain text. */
export const SealedEnvSchema = z.record(EnvNameSchema, z.string().startsWith('v1:'));
export type SealedEnv = z.infer<typeof SealedEnvSchema>;

export const CreateProjectRequestSchema = z.strictObject({ name: SlugNameSchema });
export const CreateServiceRequestSchema = z.strictObject({
  name: SlugNameSchema,
  port: z.int().min(1).max(65535),
  healthCheckPath: HealthCheckPathSchema.default('/'),
  env: EnvValuesSchema.default({}),
});
export const UpdateServiceRequestSchema = z
  .strictObject({
    port: z.int().min(1).max(65535).optional(),
    healthCheckPath: HealthCheckPathSchema.optional(),
    /** Variables to set; a null value removes the variable. */
    env: z.record(EnvNameSchema, z.string().max(32_768).nullable()).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'change at least one of port, healthCheckPath, env');

export const StrategySchema = z.strictObject({ batchSize: z.int().min(1).max(100).default(1) });

export const CreateDeploymentRequestSchema = z.strictObject({
  serviceId,
  source: DeploySourceSchema,
  serverIds: z
    .array(z.uuid())
    .min(1)
    .max(100)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a server'),
  /** Variables for this deployment on top of the service's own. */
  env: EnvValuesSchema.optional(),
  strategy: StrategySchema.optional(),
});
export type CreateDeploymentRequest = z.infer<typeof CreateDeploymentRequestSchema>;

export const CreateProject = defineCommand(
  DEPLOYMENTS,
  'CreateProject',
  z.strictObject({ projectId, name: SlugNameSchema }),
);
export const ProjectCreated = defineEvent(
  DEPLOYMENTS,
  'ProjectCreated',
  z.strictObject({ projectId, workspaceId: z.string(), name: z.string() }),
);

export const CreateService = defineCommand(
  DEPLOYMENTS,
  'CreateService',
  z.strictObject({
    serviceId,
    projectId,
    name: SlugNameSchema,
    port: z.int(),
    healthCheckPath: HealthCheckPathSchema,
    env: SealedEnvSchema,
  }),
);
export const UpdateService = defineCommand(
  DEPLOYMENTS,
  'UpdateService',
  z.strictObject({
    serviceId,
    port: z.int().min(1).max(65535).optional(),
    healthCheckPath: HealthCheckPathSchema.optional(),
    setEnv: SealedEnvSchema.default({}),
    unsetEnv: z.array(EnvNameSchema).default([]),
  }),
);

/** The servers a deployment goes to, with what the deployer needs to reach each one's agent. */
export const DeploymentTargetSchema = z.strictObject({
  serverId: z.uuid(),
  agentUrl: z.url(),
  sealedAgentSecret: z.string(),
  publicIp: z.string(),
  edgeHttpPort: z.int(),
});
export type DeploymentTarget = z.infer<typeof DeploymentTargetSchema>;

export const DeployService = defineCommand(
  DEPLOYMENTS,
  'DeployService',
  z.strictObject({
    deploymentId,
    serviceId,
    source: DeploySourceSchema,
    targets: z.array(DeploymentTargetSchema).min(1).max(100),
    env: SealedEnvSchema.default({}),
    batchSize: z.int().min(1).max(100).default(1),
  }),
);
export const RollbackDeployment = defineCommand(
  DEPLOYMENTS,
  'RollbackDeployment',
  z.strictObject({
    deploymentId,
    serviceId,
    rollbackOf: deploymentId,
    targets: z.array(DeploymentTargetSchema).min(1).max(100),
  }),
);

export const ServiceCreated = defineEvent(
  DEPLOYMENTS,
  'ServiceCreated',
  z.strictObject({
    serviceId,
    projectId,
    workspaceId: z.string(),
    name: z.string(),
    port: z.int(),
    healthCheckPath: z.string(),
    env: SealedEnvSchema,
  }),
);
export const ServiceUpdated = defineEvent(
  DEPLOYMENTS,
  'ServiceUpdated',
  z.strictObject({
    serviceId,
    port: z.int(),
    healthCheckPath: z.string(),
    setEnv: SealedEnvSchema,
    unsetEnv: z.array(z.string()),
  }),
);

export const DeploymentStatusSchema = z.enum([
  'pending',
  'building',
  'deploying',
  'rolling_back',
  'succeeded',
  'failed',
]);
export type DeploymentStatus = z.infer<typeof DeploymentStatusSchema>;

export const DeploymentRequested = defineEvent(
  DEPLOYMENTS,
  'DeploymentRequested',
  z.strictObject({
    deploymentId,
    serviceId,
    workspaceId: z.string(),
    source: DeploySourceSchema,
    /** `deploy_<first 8 hex of the deployment id>`: every server runs the image under this exact tag. */
    tag: z.string(),
    targets: z.array(DeploymentTargetSchema),
    /** The environment as it was when deployed (service's plus the deployment's), sealed; a rollback reuses it. */
    env: SealedEnvSchema,
    port: z.int(),
    healthCheckPath: z.string(),
    batchSize: z.int(),
    rollbackOf: deploymentId.nullable(),
    requestedAt: z.iso.datetime(),
  }),
);
export const DeploymentLogged = defineEvent(
  DEPLOYMENTS,
  'DeploymentLogged',
  z.strictObject({ deploymentId, serverId: z.uuid().nullable(), step: z.string(), lines: z.array(z.string()) }),
);
export const ImageReady = defineEvent(
  DEPLOYMENTS,
  'ImageReady',
  z.strictObject({
    deploymentId,
    serverId: z.uuid(),
    image: z.string(),
    how: z.enum(['built', 'pulled', 'shipped']),
    /** Time spent waiting on the agent for this step. */
    agentMs: z.number(),
  }),
);
export const ServerSwitched = defineEvent(
  DEPLOYMENTS,
  'ServerSwitched',
  z.strictObject({
    deploymentId,
    serverId: z.uuid(),
    container: z.string(),
    image: z.string(),
    switchedAfterMs: z.number(),
    /** Time spent waiting on the agent for the cutover. */
    agentMs: z.number(),
  }),
);
export const ServerDeployFailed = defineEvent(
  DEPLOYMENTS,
  'ServerDeployFailed',
  z.strictObject({ deploymentId, serverId: z.uuid(), reason: z.string() }),
);
export const ServerRolledBack = defineEvent(
  DEPLOYMENTS,
  'ServerRolledBack',
  z.strictObject({ deploymentId, serverId: z.uuid(), container: z.string().nullable(), reason: z.string().nullable() }),
);
export const DeploymentSucceeded = defineEvent(
  DEPLOYMENTS,
  'DeploymentSucceeded',
  z.strictObject({ deploymentId, durationMs: z.number() }),
);
export const DeploymentFailed = defineEvent(
  DEPLOYMENTS,
  'DeploymentFailed',
  z.strictObject({ deploymentId, serverId: z.uuid().nullable(), reason: z.string(), durationMs: z.number() }),
);

export const applicationEvents = [
  ProjectCreated,
  ServiceCreated,
  ServiceUpdated,
  DeploymentRequested,
  DeploymentLogged,
  ImageReady,
  ServerSwitched,
  ServerDeployFailed,
  ServerRolledBack,
  DeploymentSucceeded,
  DeploymentFailed,
] as const;

export const ProjectViewSchema = z.strictObject({ id: projectId, name: z.string(), createdAt: z.iso.datetime() });
export const EnvVariableViewSchema = z.strictObject({ name: z.string(), masked: z.string() });
export const ServiceViewSchema = z.strictObject({
  id: serviceId,
  projectId,
  name: z.string(),
  port: z.int(),
  healthCheckPath: z.string(),
  /** Names only, values masked: the API never sends a secret back. */
  env: z.array(EnvVariableViewSchema),
  hostname: z.string(),
  /** Where it opens in a browser once deployed: `http://<hostname>` through this machine's front door. */
  url: z.string(),
  currentDeploymentId: deploymentId.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ServiceView = z.infer<typeof ServiceViewSchema>;

export const DeploymentServerViewSchema = z.strictObject({
  serverId: z.uuid(),
  status: z.enum(['pending', 'image_ready', 'switched', 'failed', 'rolled_back']),
  reason: z.string().nullable(),
  url: z.string(),
});
export const DeploymentViewSchema = z.strictObject({
  id: deploymentId,
  serviceId,
  status: DeploymentStatusSchema,
  imageTag: z.string(),
  source: DeploySourceSchema,
  rollbackOf: deploymentId.nullable(),
  servers: z.array(DeploymentServerViewSchema),
  failureReason: z.string().nullable(),
  requestedBy: z.string(),
  requestedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  durationMs: z.number().nullable(),
});
export type DeploymentView = z.infer<typeof DeploymentViewSchema>;

export const ListProjects = defineQuery(
  DEPLOYMENTS,
  'ListProjects',
  z.strictObject({ ...paginationParams }),
  pageOf(ProjectViewSchema),
);
export const GetProject = defineQuery(DEPLOYMENTS, 'GetProject', z.strictObject({ projectId }), ProjectViewSchema);
export const ListServices = defineQuery(
  DEPLOYMENTS,
  'ListServices',
  z.strictObject({ projectId, ...paginationParams }),
  pageOf(ServiceViewSchema),
);
export const GetService = defineQuery(DEPLOYMENTS, 'GetService', z.strictObject({ serviceId }), ServiceViewSchema);
export const ListDeployments = defineQuery(
  DEPLOYMENTS,
  'ListDeployments',
  z.strictObject({ serviceId: serviceId.optional(), ...paginationParams }),
  pageOf(DeploymentViewSchema),
);
export const GetDeployment = defineQuery(
  DEPLOYMENTS,
  'GetDeployment',
  z.strictObject({ deploymentId }),
  DeploymentViewSchema,
);
export const GetDeploymentLogs = defineQuery(
  DEPLOYMENTS,
  'GetDeploymentLogs',
  z.strictObject({ deploymentId }),
  z.strictObject({
    lines: z.array(
      z.strictObject({ at: z.iso.datetime(), serverId: z.uuid().nullable(), step: z.string(), line: z.string() }),
    ),
  }),
);
