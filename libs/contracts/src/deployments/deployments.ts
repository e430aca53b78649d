import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../definitions';
import { pageOf, paginationParams } from '../messages';
import { DEPLOYMENTS, DeploySourceSchema } from './deploy-configs';
import { EnvValuesSchema, SealedEnvSchema } from './services';

const serviceId = z.uuid();
const deploymentId = z.uuid();

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
    /** The port the app listens on when its project names one (platform.json) other than the service's. */
    port: z.int().min(1).max(65535).optional(),
    /**
     * Where the image came from when it went through the workspace's registry: the repository and the digest every
     * server pulled, and that a rollback or a server joining later pulls again.
     */
    registryImage: z
      .strictObject({ repository: z.string().max(255), digest: z.string().regex(/^sha256:[a-f0-9]{64}$/) })
      .optional(),
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

/** A deployment's events, recorded in its service's stream (a service deploys one version at a time). */
export const deploymentEvents = [
  DeploymentRequested,
  DeploymentLogged,
  ImageReady,
  ServerSwitched,
  ServerDeployFailed,
  ServerRolledBack,
  DeploymentSucceeded,
  DeploymentFailed,
] as const;

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
