import { z } from 'zod';
import { DeployConfigFieldsSchema, DeployConfigViewSchema, ListDeployConfigs } from '../deployments/deploy-configs';
import { pageOf, paginationParams } from '../messages';
import { ListServers, ProviderSchema, ProvisionServerRequestSchema, RegionSchema, ServerViewSchema, SizeSchema } from '../servers/servers';
import {
  AddMemberRequestSchema,
  ApiTokenViewSchema,
  CreateApiTokenRequestSchema,
  CreatedApiTokenSchema,
  CreateWorkspaceRequestSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  MemberViewSchema,
  MeResponseSchema,
  SignupRequestSchema,
  SignupResponseSchema,
  UpdateMemberRequestSchema,
  WorkspaceViewSchema,
  type Scope,
} from './identity';

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
}

const id = z.strictObject({ id: z.uuid() });
const workspaceParams = z.strictObject({ workspaceId: z.uuid() });
const memberParams = z.strictObject({ workspaceId: z.uuid(), userId: z.uuid() });
const accepted = (idField: string) =>
  z.strictObject({ [idField]: z.uuid(), commandId: z.uuid() }) as z.ZodObject;

const commaList = z
  .string()
  .max(2000)
  .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must be event type names separated by commas')).max(50));

export const apiRoutes = {
  signup: {
    operationId: 'signup',
    method: 'POST',
    path: '/v1/auth/signup',
    summary: 'Create a user who owns a new workspace',
    tag: 'Identity',
    auth: 'public',
    body: SignupRequestSchema,
    success: { status: 201, description: 'The user, the workspace and a session token', schema: SignupResponseSchema },
  },
  login: {
    operationId: 'login',
    method: 'POST',
    path: '/v1/auth/login',
    summary: 'Log in: a session token, also set as an httpOnly cookie for the console',
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
    success: { status: 200, description: 'Workspaces', schema: z.strictObject({ items: z.array(WorkspaceViewSchema) }) },
  },
  createWorkspace: {
    operationId: 'createWorkspace',
    method: 'POST',
    path: '/v1/workspaces',
    summary: 'Create another workspace, owned by the caller',
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
    summary: "Create an API token for programs, with at most the creator's scopes; its secret is shown in this answer only",
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
    success: { status: 202, description: 'Accepted: the command is durably queued', schema: accepted('deployConfigId') },
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
    success: { status: 202, description: 'Accepted: the command is durably queued', schema: accepted('deployConfigId') },
  },
  deleteDeployConfig: {
    operationId: 'deleteDeployConfig',
    method: 'DELETE',
    path: '/v1/deploy-configs/:id',
    summary: 'Delete a deploy config',
    tag: 'Deploy configs',
    auth: 'deploy',
    params: id,
    success: { status: 202, description: 'Accepted: the command is durably queued', schema: accepted('deployConfigId') },
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
    summary: 'Destroy a server and its cloud resources; `force=true` also deletes a cloud server the platform does not manage',
    tag: 'Infrastructure',
    auth: 'infra',
    params: id,
    query: z.strictObject({ force: z.enum(['true', 'false']).transform((value) => value === 'true').optional() }),
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
  events: {
    operationId: 'streamEvents',
    method: 'GET',
    path: '/v1/events',
    summary:
      "The workspace's events, live, as server-sent events (id = event id). Send Last-Event-ID to resume right after that event.",
    tag: 'Events',
    auth: 'read',
    query: z.strictObject({ types: commaList.optional(), deploymentId: z.uuid().optional() }),
    success: { status: 200, description: 'text/event-stream of events' },
    stream: true,
  },
} as const satisfies Record<string, ApiRoute>;

export type ApiRouteName = keyof typeof apiRoutes;
