import { z } from 'zod';
import { DeployConfigFieldsSchema, DeployConfigViewSchema, ListDeployConfigs } from '../deployments/deploy-configs';
import { EventEnvelopeSchema, pageOf, paginationParams } from '../messages';
import { domainRoutes } from './domain-routes';
import {
  FailedRequestBatchSchema,
  GetRequestStats,
  GetRequestTimeseries,
  ListRequestMetrics,
  RequestFiltersSchema,
} from '../metrics/requests';
import {
  CreateDeploymentRequestSchema,
  DeploymentViewSchema,
  GetDeploymentLogs,
  ListDeployments,
} from '../deployments/deployments';
import { CreateProjectRequestSchema, ListProjects, ProjectViewSchema } from '../deployments/projects';
import { CreateServiceRequestSchema, ServiceViewSchema, UpdateServiceRequestSchema } from '../deployments/services';
import {
  CredentialProviderSchema,
  ProviderViewSchema,
  SaveProviderCredentialsRequestSchema,
} from '../servers/providers';
import { CreateSnapshotRequestSchema, ListSnapshots, SnapshotViewSchema } from '../servers/snapshots';
import {
  ListServers,
  ProviderSchema,
  ProvisionServerRequestSchema,
  RegionSchema,
  ServerViewSchema,
  SizeSchema,
} from '../servers/servers';
import {
  CreateWebhookRequestSchema,
  ListWebhookDeliveries,
  ListWebhookEndpoints,
  RedeliverWebhooksRequestSchema,
  RedeliverWebhooks,
  SendTestWebhook,
  UpdateWebhookRequestSchema,
  WebhookDeliveryViewSchema,
  WebhookViewSchema,
} from '../webhooks/webhooks';
import {
  AddMemberRequestSchema,
  ApiTokenViewSchema,
  CreateApiTokenRequestSchema,
  CreatedApiTokenSchema,
  CreatedInviteSchema,
  CreateInviteRequestSchema,
  CreateWorkspaceRequestSchema,
  InviteViewSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  MemberViewSchema,
  MeResponseSchema,
  SignupPolicySchema,
  SignupRequestSchema,
  SignupResponseSchema,
  UpdateMemberRequestSchema,
  WorkspaceViewSchema,
  type Scope,
} from './identity';
import { EventTypeViewSchema } from '../events/event-types';
import { AuditPageSchema, ListAuditQuerySchema } from './audit';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One operation of the public API: the gateway registers, authorizes and validates it from this, and the
 * OpenAPI document is generated from the same object, so the documentation cannot drift from the code.
 */
export interface ApiRoute {
  readonly operationId: string;
  readonly method: Method;
  /** Fastify-style path: `/v1/deploy-configs/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** `public` routes take no credential; every other route needs one carrying `scope`. */
  readonly auth: 'public' | Scope;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly success: { readonly status: number; readonly description: string; readonly schema?: z.ZodType };
  /** Answers with a `text/event-stream` instead of JSON. */
  readonly stream?: boolean;
  /** Takes an archive (tar.gz or zip) as the raw body instead of JSON. */
  readonly upload?: boolean;
}

const id = z.strictObject({ id: z.uuid() });
const workspaceParams = z.strictObject({ workspaceId: z.uuid() });
const memberParams = z.strictObject({ workspaceId: z.uuid(), userId: z.uuid() });
const inviteParams = z.strictObject({ workspaceId: z.uuid(), id: z.uuid() });
const accepted = <const IdField extends string>(idField: IdField) =>
  z.strictObject({ [idField]: z.uuid(), commandId: z.uuid() } as Record<IdField | 'commandId', z.ZodUUID>);

const commaList = z
  .string()
  .max(2000)
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must be event type names separated by commas')).max(50));

/** Server ids separated by commas, each once. */
const serverIdList = z
  .string()
  .max(4000)
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.uuid())
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a server'),
  );

export const apiRoutes = {
  signup: {
    operationId: 'signup',
    method: 'POST',
    path: '/v1/auth/signup',
    summary:
      "Create a user: the instance's first account owns a new workspace and the instance; later ones need an invitation (joining its workspace) unless signup is open",
    tag: 'Identity',
    auth: 'public',
    body: SignupRequestSchema,
    success: {
      status: 201,
      description: 'The user, the workspace they own or joined, and a session token',
      schema: SignupResponseSchema,
    },
  },
  signupPolicy: {
    operationId: 'getSignupPolicy',
    method: 'GET',
    path: '/v1/auth/signup-policy',
    summary:
      'Whether anyone may sign up, only with an invitation, or the first account (the instance owner) is still to come',
    tag: 'Identity',
    auth: 'public',
    success: { status: 200, description: 'The signup policy', schema: SignupPolicySchema },
  },
  login: {
    operationId: 'login',
    method: 'POST',
    path: '/v1/auth/login',
    summary:
      'Log in: a session token, also set as an httpOnly cookie for the console; with an invitation, also join its workspace',
    tag: 'Identity',
    auth: 'public',
    body: LoginRequestSchema,
    success: { status: 200, description: 'A session token', schema: LoginResponseSchema },
  },
  logout: {
    operationId: 'logout',
    method: 'POST',
    path: '/v1/auth/logout',
    summary: 'End the current session',
    tag: 'Identity',
    auth: 'read',
    success: { status: 204, description: 'The session is revoked' },
  },
  me: {
    operationId: 'getMe',
    method: 'GET',
    path: '/v1/me',
    summary: 'The caller, the current workspace and every workspace they belong to',
    tag: 'Identity',
    auth: 'read',
    success: { status: 200, description: 'The caller', schema: MeResponseSchema },
  },
  listWorkspaces: {
    operationId: 'listWorkspaces',
    method: 'GET',
    path: '/v1/workspaces',
    summary: 'Workspaces the caller belongs to',
    tag: 'Identity',
    auth: 'read',
    success: {
      status: 200,
      description: 'Workspaces',
      schema: z.strictObject({ items: z.array(WorkspaceViewSchema) }),
    },
  },
  createWorkspace: {
    operationId: 'createWorkspace',
    method: 'POST',
    path: '/v1/workspaces',
    summary: 'Create another workspace, owned by the caller (at most MAX_WORKSPACES_PER_USER created per user)',
    tag: 'Identity',
    auth: 'read',
    body: CreateWorkspaceRequestSchema,
    success: { status: 201, description: 'The workspace', schema: WorkspaceViewSchema },
  },
  listApiTokens: {
    operationId: 'listApiTokens',
    method: 'GET',
    path: '/v1/api-tokens',
    summary: "API tokens (never their secret): all of the workspace's for admins, one's own for others",
    tag: 'Identity',
    auth: 'read',
    query: z.strictObject({ ...paginationParams }),
    success: { status: 200, description: 'API tokens', schema: pageOf(ApiTokenViewSchema) },
  },
  createApiToken: {
    operationId: 'createApiToken',
    method: 'POST',
    path: '/v1/api-tokens',
    summary:
      "Create an API token for programs, with at most the creator's scopes; its secret is shown in this answer only",
    tag: 'Identity',
    auth: 'read',
    body: CreateApiTokenRequestSchema,
    success: { status: 201, description: 'The token with its secret', schema: CreatedApiTokenSchema },
  },
  revokeApiToken: {
    operationId: 'revokeApiToken',
    method: 'DELETE',
    path: '/v1/api-tokens/:id',
    summary: 'Revoke an API token (admins: any of the workspace; others: their own); it is refused from now on',
    tag: 'Identity',
    auth: 'read',
    params: id,
    success: { status: 204, description: 'Revoked' },
  },
  listMembers: {
    operationId: 'listMembers',
    method: 'GET',
    path: '/v1/workspaces/:workspaceId/members',
    summary: "The workspace's members and their roles",
    tag: 'Identity',
    auth: 'read',
    params: workspaceParams,
    success: { status: 200, description: 'Members', schema: z.strictObject({ items: z.array(MemberViewSchema) }) },
  },
  addMember: {
    operationId: 'addMember',
    method: 'POST',
    path: '/v1/workspaces/:workspaceId/members',
    summary: 'Add a user who has signed up to the workspace, with a role',
    tag: 'Identity',
    auth: 'admin',
    params: workspaceParams,
    body: AddMemberRequestSchema,
    success: { status: 201, description: 'The member', schema: MemberViewSchema },
  },
  updateMember: {
    operationId: 'updateMember',
    method: 'PATCH',
    path: '/v1/workspaces/:workspaceId/members/:userId',
    summary: "Change a member's role",
    tag: 'Identity',
    auth: 'admin',
    params: memberParams,
    body: UpdateMemberRequestSchema,
    success: { status: 200, description: 'The member', schema: MemberViewSchema },
  },
  removeMember: {
    operationId: 'removeMember',
    method: 'DELETE',
    path: '/v1/workspaces/:workspaceId/members/:userId',
    summary: 'Remove a member from the workspace',
    tag: 'Identity',
    auth: 'admin',
    params: memberParams,
    success: { status: 204, description: 'Removed' },
  },
  listInvites: {
    operationId: 'listInvites',
    method: 'GET',
    path: '/v1/workspaces/:workspaceId/invites',
    summary: "The workspace's invitations, newest first (never their secret), each pending, used, expired or revoked",
    tag: 'Identity',
    auth: 'admin',
    params: workspaceParams,
    success: { status: 200, description: 'Invitations', schema: z.strictObject({ items: z.array(InviteViewSchema) }) },
  },
  createInvite: {
    operationId: 'createInvite',
    method: 'POST',
    path: '/v1/workspaces/:workspaceId/invites',
    summary:
      'Invite someone to the workspace with a role: a single-use secret, shown in this answer only, that expires (7 days unless said)',
    tag: 'Identity',
    auth: 'admin',
    params: workspaceParams,
    body: CreateInviteRequestSchema,
    success: { status: 201, description: 'The invitation with its secret', schema: CreatedInviteSchema },
  },
  revokeInvite: {
    operationId: 'revokeInvite',
    method: 'DELETE',
    path: '/v1/workspaces/:workspaceId/invites/:id',
    summary: 'Revoke a pending invitation; it is refused from now on',
    tag: 'Identity',
    auth: 'admin',
    params: inviteParams,
    success: { status: 204, description: 'Revoked' },
  },
  listDeployConfigs: {
    operationId: 'listDeployConfigs',
    method: 'GET',
    path: '/v1/deploy-configs',
    summary: 'Saved deploy settings, newest first',
    tag: 'Deploy configs',
    auth: 'read',
    query: ListDeployConfigs.params,
    success: { status: 200, description: 'A page of deploy configs', schema: pageOf(DeployConfigViewSchema) },
  },
  createDeployConfig: {
    operationId: 'createDeployConfig',
    method: 'POST',
    path: '/v1/deploy-configs',
    summary: 'Save deploy settings to run again',
    tag: 'Deploy configs',
    auth: 'deploy',
    body: DeployConfigFieldsSchema,
    success: {
      status: 202,
      description: 'Accepted: the command is durably queued',
      schema: accepted('deployConfigId'),
    },
  },
  getDeployConfig: {
    operationId: 'getDeployConfig',
    method: 'GET',
    path: '/v1/deploy-configs/:id',
    summary: 'One deploy config',
    tag: 'Deploy configs',
    auth: 'read',
    params: id,
    success: { status: 200, description: 'The deploy config', schema: DeployConfigViewSchema },
  },
  updateDeployConfig: {
    operationId: 'updateDeployConfig',
    method: 'PUT',
    path: '/v1/deploy-configs/:id',
    summary: "Replace a deploy config's settings",
    tag: 'Deploy configs',
    auth: 'deploy',
    params: id,
    body: DeployConfigFieldsSchema,
    success: {
      status: 202,
      description: 'Accepted: the command is durably queued',
      schema: accepted('deployConfigId'),
    },
  },
  deleteDeployConfig: {
    operationId: 'deleteDeployConfig',
    method: 'DELETE',
    path: '/v1/deploy-configs/:id',
    summary: 'Delete a deploy config',
    tag: 'Deploy configs',
    auth: 'deploy',
    params: id,
    success: {
      status: 202,
      description: 'Accepted: the command is durably queued',
      schema: accepted('deployConfigId'),
    },
  },
  listServers: {
    operationId: 'listServers',
    method: 'GET',
    path: '/v1/servers',
    summary: 'Managed servers: provider, region, size, address, status, agent version and whether it is outdated',
    tag: 'Infrastructure',
    auth: 'read',
    query: ListServers.params,
    success: { status: 200, description: 'A page of servers', schema: pageOf(ServerViewSchema) },
  },
  getServer: {
    operationId: 'getServer',
    method: 'GET',
    path: '/v1/servers/:id',
    summary: 'One server',
    tag: 'Infrastructure',
    auth: 'read',
    params: id,
    success: { status: 200, description: 'The server', schema: ServerViewSchema },
  },
  provisionServer: {
    operationId: 'provisionServer',
    method: 'POST',
    path: '/v1/servers',
    summary: 'Provision a server (on this machine with "local", or on DigitalOcean); follow it on GET /v1/events',
    tag: 'Infrastructure',
    auth: 'infra',
    body: ProvisionServerRequestSchema,
    success: { status: 202, description: 'Accepted: provisioning has started', schema: accepted('serverId') },
  },
  destroyServer: {
    operationId: 'destroyServer',
    method: 'DELETE',
    path: '/v1/servers/:id',
    summary:
      'Destroy a server and its cloud resources; `force=true` also deletes a cloud server the platform does not manage',
    tag: 'Infrastructure',
    auth: 'infra',
    params: id,
    query: z.strictObject({
      force: z
        .enum(['true', 'false'])
        .transform((value) => value === 'true')
        .optional(),
    }),
    success: { status: 202, description: 'Accepted: destroying has started', schema: accepted('serverId') },
  },
  refreshServer: {
    operationId: 'refreshServer',
    method: 'POST',
    path: '/v1/servers/:id/refresh',
    summary: "Ask the server's agent for its state and version now",
    tag: 'Infrastructure',
    auth: 'infra',
    params: id,
    success: { status: 202, description: 'Accepted', schema: accepted('serverId') },
  },
  listRegions: {
    operationId: 'listRegions',
    method: 'GET',
    path: '/v1/providers/:provider/regions',
    summary: "The provider's regions",
    tag: 'Infrastructure',
    auth: 'read',
    params: z.strictObject({ provider: ProviderSchema }),
    success: { status: 200, description: 'Regions', schema: z.strictObject({ items: z.array(RegionSchema) }) },
  },
  listSizes: {
    operationId: 'listSizes',
    method: 'GET',
    path: '/v1/providers/:provider/sizes',
    summary: "The provider's server sizes",
    tag: 'Infrastructure',
    auth: 'read',
    params: z.strictObject({ provider: ProviderSchema }),
    success: { status: 200, description: 'Sizes', schema: z.strictObject({ items: z.array(SizeSchema) }) },
  },
  listProviders: {
    operationId: 'listProviders',
    method: 'GET',
    path: '/v1/providers',
    summary: 'The providers and whether the workspace has connected them (the account, never the token)',
    tag: 'Infrastructure',
    auth: 'read',
    success: { status: 200, description: 'Providers', schema: z.strictObject({ items: z.array(ProviderViewSchema) }) },
  },
  saveProviderCredentials: {
    operationId: 'saveProviderCredentials',
    method: 'PUT',
    path: '/v1/providers/:provider',
    summary:
      "Save the workspace's API token for the provider: verified with the provider first, stored encrypted, never returned",
    tag: 'Infrastructure',
    auth: 'admin',
    params: z.strictObject({ provider: CredentialProviderSchema }),
    body: SaveProviderCredentialsRequestSchema,
    success: { status: 200, description: 'The provider, connected', schema: ProviderViewSchema },
  },
  removeProviderCredentials: {
    operationId: 'removeProviderCredentials',
    method: 'DELETE',
    path: '/v1/providers/:provider',
    summary: "Forget the workspace's token for the provider (refused while servers still run there)",
    tag: 'Infrastructure',
    auth: 'admin',
    params: z.strictObject({ provider: CredentialProviderSchema }),
    success: { status: 200, description: 'The provider, disconnected', schema: ProviderViewSchema },
  },
  listSnapshots: {
    operationId: 'listSnapshots',
    method: 'GET',
    path: '/v1/snapshots',
    summary: 'Platform snapshots (Docker, nginx and the agent installed), newest first',
    tag: 'Infrastructure',
    auth: 'read',
    query: ListSnapshots.params,
    success: { status: 200, description: 'A page of snapshots', schema: pageOf(SnapshotViewSchema) },
  },
  getSnapshot: {
    operationId: 'getSnapshot',
    method: 'GET',
    path: '/v1/snapshots/:id',
    summary: 'One snapshot',
    tag: 'Infrastructure',
    auth: 'read',
    params: id,
    success: { status: 200, description: 'The snapshot', schema: SnapshotViewSchema },
  },
  createSnapshot: {
    operationId: 'createSnapshot',
    method: 'POST',
    path: '/v1/snapshots',
    summary: 'Build a platform snapshot on a builder droplet; follow it on GET /v1/events',
    tag: 'Infrastructure',
    auth: 'infra',
    body: CreateSnapshotRequestSchema,
    success: { status: 202, description: 'Accepted: building has started', schema: accepted('snapshotId') },
  },
  deleteSnapshot: {
    operationId: 'deleteSnapshot',
    method: 'DELETE',
    path: '/v1/snapshots/:id',
    summary: 'Delete a snapshot from the provider',
    tag: 'Infrastructure',
    auth: 'infra',
    params: id,
    success: { status: 202, description: 'Accepted: deleting has started', schema: accepted('snapshotId') },
  },
  listProjects: {
    operationId: 'listProjects',
    method: 'GET',
    path: '/v1/projects',
    summary: 'Projects, newest first',
    tag: 'Applications',
    auth: 'read',
    query: ListProjects.params,
    success: { status: 200, description: 'A page of projects', schema: pageOf(ProjectViewSchema) },
  },
  createProject: {
    operationId: 'createProject',
    method: 'POST',
    path: '/v1/projects',
    summary: 'Create a project to group services',
    tag: 'Applications',
    auth: 'deploy',
    body: CreateProjectRequestSchema,
    success: { status: 202, description: 'Accepted', schema: accepted('projectId') },
  },
  getProject: {
    operationId: 'getProject',
    method: 'GET',
    path: '/v1/projects/:id',
    summary: 'One project',
    tag: 'Applications',
    auth: 'read',
    params: id,
    success: { status: 200, description: 'The project', schema: ProjectViewSchema },
  },
  listServices: {
    operationId: 'listServices',
    method: 'GET',
    path: '/v1/projects/:id/services',
    summary: "A project's services",
    tag: 'Applications',
    auth: 'read',
    params: id,
    query: z.strictObject({ ...paginationParams }),
    success: { status: 200, description: 'A page of services', schema: pageOf(ServiceViewSchema) },
  },
  createService: {
    operationId: 'createService',
    method: 'POST',
    path: '/v1/projects/:id/services',
    summary: 'Create a service: a deployable unit with a port, a health check and environment values (kept encrypted)',
    tag: 'Applications',
    auth: 'deploy',
    params: id,
    body: CreateServiceRequestSchema,
    success: { status: 202, description: 'Accepted', schema: accepted('serviceId') },
  },
  getService: {
    operationId: 'getService',
    method: 'GET',
    path: '/v1/services/:id',
    summary: 'One service; environment values are masked, never returned',
    tag: 'Applications',
    auth: 'read',
    params: id,
    success: { status: 200, description: 'The service', schema: ServiceViewSchema },
  },
  updateService: {
    operationId: 'updateService',
    method: 'PATCH',
    path: '/v1/services/:id',
    summary: "Change a service's port, health check path or environment values (null removes a value)",
    tag: 'Applications',
    auth: 'deploy',
    params: id,
    body: UpdateServiceRequestSchema,
    success: { status: 202, description: 'Accepted', schema: accepted('serviceId') },
  },
  createUpload: {
    operationId: 'createUpload',
    method: 'POST',
    path: '/v1/uploads',
    summary: 'Upload a source archive (tar.gz or zip, as the raw body) to deploy from',
    tag: 'Applications',
    auth: 'deploy',
    upload: true,
    success: {
      status: 201,
      description: 'The stored upload',
      schema: z.strictObject({ uploadId: z.uuid(), size: z.int(), sha256: z.string() }),
    },
  },
  deleteUpload: {
    operationId: 'deleteUpload',
    method: 'DELETE',
    path: '/v1/uploads/:id',
    summary: "Delete an upload, giving its bytes back to the workspace's upload quota",
    tag: 'Applications',
    auth: 'deploy',
    params: id,
    success: { status: 204, description: 'Deleted' },
  },
  listDeployments: {
    operationId: 'listDeployments',
    method: 'GET',
    path: '/v1/deployments',
    summary: 'Deployment history, newest first: status, image tag, servers, timings, who',
    tag: 'Deployments',
    auth: 'read',
    query: ListDeployments.params,
    success: { status: 200, description: 'A page of deployments', schema: pageOf(DeploymentViewSchema) },
  },
  createDeployment: {
    operationId: 'createDeployment',
    method: 'POST',
    path: '/v1/deployments',
    summary:
      'Deploy a service to servers with zero downtime. With `Accept: text/event-stream` the answer streams the deployment’s events until it ends.',
    tag: 'Deployments',
    auth: 'deploy',
    body: CreateDeploymentRequestSchema,
    success: {
      status: 202,
      description: 'Accepted (or a text/event-stream of its progress)',
      schema: accepted('deploymentId'),
    },
  },
  getDeployment: {
    operationId: 'getDeployment',
    method: 'GET',
    path: '/v1/deployments/:id',
    summary: 'One deployment, with the status of each server',
    tag: 'Deployments',
    auth: 'read',
    params: id,
    success: { status: 200, description: 'The deployment', schema: DeploymentViewSchema },
  },
  getDeploymentLogs: {
    operationId: 'getDeploymentLogs',
    method: 'GET',
    path: '/v1/deployments/:id/logs',
    summary: 'The build and cutover log of a deployment',
    tag: 'Deployments',
    auth: 'read',
    params: id,
    success: { status: 200, description: 'The log', schema: GetDeploymentLogs.result },
  },
  rollbackDeployment: {
    operationId: 'rollbackDeployment',
    method: 'POST',
    path: '/v1/deployments/:id/rollback',
    summary:
      "Deploy that deployment's exact image again, with its environment as it was, to its servers (or to `serverIds`: a server that never ran it pulls its recorded digest)",
    tag: 'Deployments',
    auth: 'deploy',
    params: id,
    query: z.strictObject({ serverIds: serverIdList.optional() }),
    success: { status: 202, description: 'Accepted: a new deployment', schema: accepted('deploymentId') },
  },
  listRequestMetrics: {
    operationId: 'listRequestMetrics',
    method: 'GET',
    path: '/v1/metrics/requests',
    summary: "The workspace's API requests, newest first: route, status, latency, caller, client address (admins only)",
    tag: 'Metrics',
    auth: 'admin',
    query: RequestFiltersSchema,
    success: { status: 200, description: 'A page of requests', schema: ListRequestMetrics.result },
  },
  getRequestStats: {
    operationId: 'getRequestStats',
    method: 'GET',
    path: '/v1/metrics/requests/stats',
    summary: 'Requests of the last hours: total, error rate, latency percentiles, slowest and most failing routes',
    tag: 'Metrics',
    auth: 'admin',
    query: GetRequestStats.params.omit({ workspaceScope: true }).extend({ workspaceId: z.uuid().optional() }),
    success: { status: 200, description: 'The figures', schema: GetRequestStats.result },
  },
  listSlowRequests: {
    operationId: 'listSlowRequests',
    method: 'GET',
    path: '/v1/metrics/requests/slow',
    summary: 'Requests slower than `thresholdMs` (1000 by default), newest first',
    tag: 'Metrics',
    auth: 'admin',
    query: RequestFiltersSchema.omit({ minLatencyMs: true }).extend({
      thresholdMs: z.coerce.number().min(0).max(86_400_000).default(1000),
    }),
    success: { status: 200, description: 'A page of requests', schema: ListRequestMetrics.result },
  },
  listErrorRequests: {
    operationId: 'listErrorRequests',
    method: 'GET',
    path: '/v1/metrics/requests/errors',
    summary: 'Requests answered with a 4xx or 5xx status, newest first',
    tag: 'Metrics',
    auth: 'admin',
    query: RequestFiltersSchema,
    success: { status: 200, description: 'A page of requests', schema: ListRequestMetrics.result },
  },
  getRequestTimeseries: {
    operationId: 'getRequestTimeseries',
    method: 'GET',
    path: '/v1/metrics/requests/timeseries',
    summary:
      'A chart series: requests (rate), 4xx/5xx answers (errors) or p95 latency per step, the last hour by default',
    tag: 'Metrics',
    auth: 'admin',
    query: GetRequestTimeseries.params.omit({ workspaceScope: true }).extend({ workspaceId: z.uuid().optional() }),
    success: { status: 200, description: 'One point per step', schema: GetRequestTimeseries.result },
  },
  listFailedRequestBatches: {
    operationId: 'listFailedRequestBatches',
    method: 'GET',
    path: '/v1/metrics/failed-batches',
    summary:
      "Batches of request records the metrics service could not store after every retry (the instance admin's: they span workspaces)",
    tag: 'Metrics',
    auth: 'admin',
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
    success: {
      status: 200,
      description: 'The failed batches, newest first',
      schema: z.strictObject({ items: z.array(FailedRequestBatchSchema) }),
    },
  },
  retryFailedRequestBatch: {
    operationId: 'retryFailedRequestBatch',
    method: 'POST',
    path: '/v1/metrics/failed-batches/:id/retry',
    summary: 'Queue a failed batch of request records again (instance admin)',
    tag: 'Metrics',
    auth: 'admin',
    params: z.strictObject({ id: z.string().min(1).max(100) }),
    success: { status: 202, description: 'Queued again', schema: z.strictObject({ id: z.string() }) },
  },
  listWebhooks: {
    operationId: 'listWebhooks',
    method: 'GET',
    path: '/v1/webhooks',
    summary: "The workspace's webhook endpoints, newest first (never their secret)",
    tag: 'Webhooks',
    auth: 'read',
    query: ListWebhookEndpoints.params,
    success: { status: 200, description: 'A page of webhook endpoints', schema: pageOf(WebhookViewSchema) },
  },
  createWebhook: {
    operationId: 'createWebhook',
    method: 'POST',
    path: '/v1/webhooks',
    summary:
      'Add an endpoint that receives the chosen event types, signed as Standard Webhooks do; its `whsec_` secret is shown in this answer only',
    tag: 'Webhooks',
    auth: 'admin',
    body: CreateWebhookRequestSchema,
    success: {
      status: 202,
      description: 'Accepted, with the signing secret',
      schema: z.strictObject({ webhookId: z.uuid(), commandId: z.uuid(), secret: z.string() }),
    },
  },
  getWebhook: {
    operationId: 'getWebhook',
    method: 'GET',
    path: '/v1/webhooks/:id',
    summary: 'One webhook endpoint',
    tag: 'Webhooks',
    auth: 'read',
    params: id,
    success: { status: 200, description: 'The endpoint', schema: WebhookViewSchema },
  },
  updateWebhook: {
    operationId: 'updateWebhook',
    method: 'PATCH',
    path: '/v1/webhooks/:id',
    summary: "Change an endpoint's URL, event types or description, or enable (or pause) it",
    tag: 'Webhooks',
    auth: 'admin',
    params: id,
    body: UpdateWebhookRequestSchema,
    success: { status: 202, description: 'Accepted', schema: accepted('webhookId') },
  },
  deleteWebhook: {
    operationId: 'deleteWebhook',
    method: 'DELETE',
    path: '/v1/webhooks/:id',
    summary: 'Delete an endpoint; nothing more is sent to it',
    tag: 'Webhooks',
    auth: 'admin',
    params: id,
    success: { status: 202, description: 'Accepted', schema: accepted('webhookId') },
  },
  rotateWebhookSecret: {
    operationId: 'rotateWebhookSecret',
    method: 'POST',
    path: '/v1/webhooks/:id/rotate-secret',
    summary:
      'A new signing secret, shown in this answer only; for 24 hours deliveries carry signatures by the new and the previous one',
    tag: 'Webhooks',
    auth: 'admin',
    params: id,
    success: {
      status: 202,
      description: 'Accepted, with the new secret',
      schema: z.strictObject({ webhookId: z.uuid(), commandId: z.uuid(), secret: z.string() }),
    },
  },
  sendTestWebhook: {
    operationId: 'sendTestWebhook',
    method: 'POST',
    path: '/v1/webhooks/:id/test',
    summary: 'Send the endpoint a `WebhookTest` event now; follow it in the delivery log',
    tag: 'Webhooks',
    auth: 'admin',
    params: id,
    success: { status: 202, description: 'The test delivery', schema: SendTestWebhook.result },
  },
  listWebhookDeliveries: {
    operationId: 'listWebhookDeliveries',
    method: 'GET',
    path: '/v1/webhooks/:id/deliveries',
    summary:
      "An endpoint's delivery log, newest first: status, attempts, latency, response code and the first 1 KB of the answer",
    tag: 'Webhooks',
    auth: 'read',
    params: id,
    query: ListWebhookDeliveries.params.omit({ endpointId: true }),
    success: { status: 200, description: 'A page of deliveries', schema: pageOf(WebhookDeliveryViewSchema) },
  },
  redeliverWebhookDelivery: {
    operationId: 'redeliverWebhookDelivery',
    method: 'POST',
    path: '/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    summary: 'Send one delivery again, whatever it came to, with the same webhook-id',
    tag: 'Webhooks',
    auth: 'admin',
    params: z.strictObject({ id: z.uuid(), deliveryId: z.uuid() }),
    success: { status: 202, description: 'It goes out again', schema: RedeliverWebhooks.result },
  },
  redeliverWebhooks: {
    operationId: 'redeliverWebhooks',
    method: 'POST',
    path: '/v1/webhooks/:id/redeliver',
    summary: 'Send every failed delivery made since a time again',
    tag: 'Webhooks',
    auth: 'admin',
    params: id,
    body: RedeliverWebhooksRequestSchema,
    success: { status: 202, description: 'How many go out again', schema: RedeliverWebhooks.result },
  },
  events: {
    operationId: 'streamEvents',
    method: 'GET',
    path: '/v1/events',
    summary:
      "The workspace's events, live, as server-sent events (id = event id). Send Last-Event-ID to resume right after that event; " +
      'a new client may ask for the last `replay` events first.',
    tag: 'Events',
    auth: 'read',
    query: z.strictObject({
      types: commaList.optional(),
      deploymentId: z.uuid().optional(),
      /** Without Last-Event-ID: start with this many of the latest matching events (at most 500). */
      replay: z.coerce.number().int().min(1).max(500).optional(),
    }),
    success: { status: 200, description: 'text/event-stream of events' },
    stream: true,
  },
  ...domainRoutes,
  listEventHistory: {
    operationId: 'listEventHistory',
    method: 'GET',
    path: '/v1/events/history',
    summary:
      "The workspace's past events, newest first, as the event stream shows them (kept EVENT_FEED_RETENTION_DAYS): by type, actor (a user id) or resource (any id the event names)",
    tag: 'Events',
    auth: 'read',
    query: z.strictObject({
      ...paginationParams,
      types: commaList.optional(),
      actor: z.string().min(1).max(64).optional(),
      resourceId: z.string().min(1).max(100).optional(),
    }),
    success: { status: 200, description: 'A page of events', schema: pageOf(EventEnvelopeSchema) },
  },
  listAudit: {
    operationId: 'listAudit',
    method: 'GET',
    path: '/v1/audit',
    summary:
      "Who changed what in the workspace, newest first: every state-changing request of a person or API token (owners and admins); the instance's owner reads instance-level actions with scope=instance",
    tag: 'Audit',
    auth: 'admin',
    query: ListAuditQuerySchema,
    success: { status: 200, description: 'A page of audit entries', schema: AuditPageSchema },
  },
  listEventTypes: {
    operationId: 'listEventTypes',
    method: 'GET',
    path: '/v1/event-types',
    summary:
      'Every event type a client may see, with the JSON Schema of its public data and an example (also in components.schemas as `<Type>Event`); documentation, like the OpenAPI document, so no credential is needed',
    tag: 'Events',
    auth: 'public',
    success: {
      status: 200,
      description: 'The event catalogue',
      schema: z.strictObject({ items: z.array(EventTypeViewSchema) }),
    },
  },
} as const satisfies Record<string, ApiRoute>;

export type ApiRouteName = keyof typeof apiRoutes;
