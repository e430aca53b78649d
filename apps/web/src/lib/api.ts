/**
 * The console's client for the public API: one function per route, typed from the route contracts in
 * `@platform/contracts` (`apiRoutes`), so a changed path, body or answer fails the type check here.
 *
 * Only types are imported from the contracts: the zod schemas stay out of the browser bundle. The same client
 * runs in the browser (same origin, the httpOnly `session` cookie goes along by itself) and in server
 * components (which forward the caller's cookie to the gateway).
 */
import type { ApiError, apiRoutes, CredentialProvider, ErrorCode, Provider } from '@platform/contracts';
import type { z } from 'zod';
import {
  openEventStream,
  SseParser,
  type EventStream,
  type EventStreamHandlers,
  type SseMessage,
} from './event-stream';

type Routes = typeof apiRoutes;
export type RouteName = keyof Routes;

type SchemaOutput<S> = S extends z.ZodType ? z.output<S> : undefined;
type SchemaInput<S> = S extends z.ZodType ? z.input<S> : undefined;
/** What a route answers on success (`undefined` for 204s). */
export type ApiResponse<N extends RouteName> = Routes[N]['success'] extends { schema: infer S }
  ? SchemaOutput<S>
  : undefined;
/** The body a route takes, as a caller writes it (defaults may be left out). */
export type ApiBody<N extends RouteName> = Routes[N] extends { body: infer B } ? SchemaInput<B> : undefined;
/** Query parameters, each optional (the API fills in its defaults). */
export type ApiQuery<N extends RouteName> = Routes[N] extends { query: infer Q } ? Partial<SchemaOutput<Q>> : undefined;

/** The filters and page of `GET /v1/events/history`, `types` as the comma-separated list the API reads. */
export type EventHistoryQuery = Omit<NonNullable<ApiQuery<'listEventHistory'>>, 'types'> & { types?: string };

/**
 * What a command route answers (202): the id of what it acts on and the command's id. The contracts type
 * these answers as a loose object, so the console names the fields itself.
 */
export type CommandAccepted<IdField extends string> = { readonly [K in IdField]: string } & {
  readonly commandId: string;
};

/**
 * Method and path of each route the console calls; `satisfies` checks them against the contracts, so a path
 * that changes in the API breaks the build instead of the page.
 */
const routes = {
  signup: { method: 'POST', path: '/v1/auth/signup' },
  signupPolicy: { method: 'GET', path: '/v1/auth/signup-policy' },
  login: { method: 'POST', path: '/v1/auth/login' },
  logout: { method: 'POST', path: '/v1/auth/logout' },
  me: { method: 'GET', path: '/v1/me' },
  listWorkspaces: { method: 'GET', path: '/v1/workspaces' },
  createWorkspace: { method: 'POST', path: '/v1/workspaces' },
  listApiTokens: { method: 'GET', path: '/v1/api-tokens' },
  createApiToken: { method: 'POST', path: '/v1/api-tokens' },
  revokeApiToken: { method: 'DELETE', path: '/v1/api-tokens/:id' },
  listMembers: { method: 'GET', path: '/v1/workspaces/:workspaceId/members' },
  addMember: { method: 'POST', path: '/v1/workspaces/:workspaceId/members' },
  updateMember: { method: 'PATCH', path: '/v1/workspaces/:workspaceId/members/:userId' },
  removeMember: { method: 'DELETE', path: '/v1/workspaces/:workspaceId/members/:userId' },
  listInvites: { method: 'GET', path: '/v1/workspaces/:workspaceId/invites' },
  createInvite: { method: 'POST', path: '/v1/workspaces/:workspaceId/invites' },
  revokeInvite: { method: 'DELETE', path: '/v1/workspaces/:workspaceId/invites/:id' },
  listDeployConfigs: { method: 'GET', path: '/v1/deploy-configs' },
  createDeployConfig: { method: 'POST', path: '/v1/deploy-configs' },
  getDeployConfig: { method: 'GET', path: '/v1/deploy-configs/:id' },
  updateDeployConfig: { method: 'PUT', path: '/v1/deploy-configs/:id' },
  deleteDeployConfig: { method: 'DELETE', path: '/v1/deploy-configs/:id' },
  events: { method: 'GET', path: '/v1/events' },
  listEventHistory: { method: 'GET', path: '/v1/events/history' },
  listAudit: { method: 'GET', path: '/v1/audit' },
  listServers: { method: 'GET', path: '/v1/servers' },
  getServer: { method: 'GET', path: '/v1/servers/:id' },
  provisionServer: { method: 'POST', path: '/v1/servers' },
  destroyServer: { method: 'DELETE', path: '/v1/servers/:id' },
  refreshServer: { method: 'POST', path: '/v1/servers/:id/refresh' },
  listRegions: { method: 'GET', path: '/v1/providers/:provider/regions' },
  listSizes: { method: 'GET', path: '/v1/providers/:provider/sizes' },
  listProviders: { method: 'GET', path: '/v1/providers' },
  saveProviderCredentials: { method: 'PUT', path: '/v1/providers/:provider' },
  removeProviderCredentials: { method: 'DELETE', path: '/v1/providers/:provider' },
  listSnapshots: { method: 'GET', path: '/v1/snapshots' },
  getSnapshot: { method: 'GET', path: '/v1/snapshots/:id' },
  createSnapshot: { method: 'POST', path: '/v1/snapshots' },
  deleteSnapshot: { method: 'DELETE', path: '/v1/snapshots/:id' },
  listProjects: { method: 'GET', path: '/v1/projects' },
  createProject: { method: 'POST', path: '/v1/projects' },
  getProject: { method: 'GET', path: '/v1/projects/:id' },
  listServices: { method: 'GET', path: '/v1/projects/:id/services' },
  createService: { method: 'POST', path: '/v1/projects/:id/services' },
  getService: { method: 'GET', path: '/v1/services/:id' },
  updateService: { method: 'PATCH', path: '/v1/services/:id' },
  createUpload: { method: 'POST', path: '/v1/uploads' },
  listDeployments: { method: 'GET', path: '/v1/deployments' },
  createDeployment: { method: 'POST', path: '/v1/deployments' },
  getDeployment: { method: 'GET', path: '/v1/deployments/:id' },
  getDeploymentLogs: { method: 'GET', path: '/v1/deployments/:id/logs' },
  rollbackDeployment: { method: 'POST', path: '/v1/deployments/:id/rollback' },
  listWebhooks: { method: 'GET', path: '/v1/webhooks' },
  createWebhook: { method: 'POST', path: '/v1/webhooks' },
  updateWebhook: { method: 'PATCH', path: '/v1/webhooks/:id' },
  deleteWebhook: { method: 'DELETE', path: '/v1/webhooks/:id' },
  rotateWebhookSecret: { method: 'POST', path: '/v1/webhooks/:id/rotate-secret' },
  sendTestWebhook: { method: 'POST', path: '/v1/webhooks/:id/test' },
  listWebhookDeliveries: { method: 'GET', path: '/v1/webhooks/:id/deliveries' },
  redeliverWebhookDelivery: { method: 'POST', path: '/v1/webhooks/:id/deliveries/:deliveryId/redeliver' },
  redeliverWebhooks: { method: 'POST', path: '/v1/webhooks/:id/redeliver' },
} as const satisfies { [N in RouteName]?: Pick<Routes[N], 'method' | 'path'> };

/** One problem with one field of the input, as the API reports it in `error.details`. */
export interface FieldIssue {
  /** Dotted path of the field, under the part of the request: `body.name`, `body.serverIds.0`, `query.limit`. */
  readonly path: string;
  readonly message: string;
}

/** Codes of the API, plus `network_error` when no answer in the API's shape arrived at all. */
export type ApiErrorCode = ErrorCode | 'network_error';

/** A refusal or failure of the API, carrying its stable code and its message for people. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly fieldIssues: readonly FieldIssue[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }

  /** Plain data, to hand from a server component to a client component. */
  toJSON(): ApiErrorInfo {
    return {
      status: this.status,
      code: this.code,
      message: this.message,
      fieldIssues: [...this.fieldIssues],
      requestId: this.requestId,
    };
  }
}

export interface ApiErrorInfo {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly message: string;
  readonly fieldIssues: FieldIssue[];
  readonly requestId?: string;
}

function isFieldIssue(detail: unknown): detail is FieldIssue {
  return (
    typeof detail === 'object' &&
    detail !== null &&
    typeof (detail as FieldIssue).path === 'string' &&
    typeof (detail as FieldIssue).message === 'string'
  );
}

async function errorFrom(response: Response): Promise<ApiRequestError> {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ApiError>;
    if (body.error && typeof body.error.message === 'string') {
      const issues = (body.error.details ?? []).filter(isFieldIssue);
      return new ApiRequestError(
        response.status,
        body.error.code,
        body.error.message,
        issues,
        body.requestId ?? requestId,
      );
    }
  } catch {
    // Not the API's JSON: the gateway is down or something between us and it answered.
  }
  const message =
    response.status >= 500
      ? `The API did not answer (HTTP ${response.status}). Check that the gateway is running, then try again.`
      : `The API answered HTTP ${response.status} without an explanation.`;
  return new ApiRequestError(
    response.status,
    response.status >= 500 ? 'unavailable' : 'network_error',
    message,
    [],
    requestId,
  );
}

export interface ApiClientOptions {
  /** Empty in the browser (same origin); the gateway's URL on the server. */
  readonly baseUrl?: string;
  /** The workspace to act in (`X-Workspace-Id`); the session's own when absent. */
  readonly workspaceId?: string;
  /** Extra headers on every request: the forwarded `cookie` on the server. */
  readonly headers?: Readonly<Record<string, string>>;
}

interface CallInput {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** A body sent as is (an upload), with its content type. */
  readonly raw?: { readonly body: Blob | ArrayBuffer; readonly contentType: string };
  readonly accept?: string;
  readonly signal?: AbortSignal;
}

function fillPath(path: string, params: Readonly<Record<string, string>> = {}): string {
  return path.replace(/:([A-Za-z]+)/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`path ${path} needs the parameter ${name}`);
    return encodeURIComponent(value);
  });
}

function queryString(query: CallInput['query'] = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = options.baseUrl ?? '';

  function headersFor(contentType: string | undefined, accept = 'application/json'): Record<string, string> {
    return {
      accept,
      ...(contentType ? { 'content-type': contentType } : {}),
      ...(options.workspaceId ? { 'x-workspace-id': options.workspaceId } : {}),
      ...options.headers,
    };
  }

  /** The raw answer of a route, refused answers thrown as `ApiRequestError`. */
  async function send(name: keyof typeof routes, input: CallInput = {}): Promise<Response> {
    const route = routes[name];
    const url = `${baseUrl}${fillPath(route.path, input.params)}${queryString(input.query)}`;
    const hasBody = input.body !== undefined;
    let response: Response;
    try {
      response = await fetch(url, {
        method: route.method,
        headers: headersFor(input.raw?.contentType ?? (hasBody ? 'application/json' : undefined), input.accept),
        body: input.raw ? input.raw.body : hasBody ? JSON.stringify(input.body) : undefined,
        credentials: 'same-origin',
        signal: input.signal,
      });
    } catch (error) {
      throw new ApiRequestError(
        0,
        'network_error',
        `Could not reach the API (${(error as Error).message}). Check your connection and try again.`,
      );
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async function call<N extends keyof typeof routes>(name: N, input: CallInput = {}): Promise<ApiResponse<N>> {
    const response = await send(name, input);
    if (response.status === 204) return undefined as ApiResponse<N>;
    return (await response.json()) as ApiResponse<N>;
  }

  /**
   * `POST /v1/deployments` with `Accept: text/event-stream`: `onMessage` gets the `accepted` frame (with the
   * deployment id) and then each of the deployment's events; resolves when the server ends the stream.
   */
  async function deployStreaming(
    body: ApiBody<'createDeployment'>,
    onMessage: (message: SseMessage) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const response = await send('createDeployment', { body, accept: 'text/event-stream', signal });
    if (!response.body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
      onMessage({ id: undefined, event: 'accepted', data: await response.text() });
      return;
    }
    const parser = new SseParser(onMessage);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push('\n\n');
  }

  return {
    signup: (body: ApiBody<'signup'>) => call('signup', { body }),
    signupPolicy: () => call('signupPolicy'),
    login: (body: ApiBody<'login'>) => call('login', { body }),
    logout: () => call('logout'),
    me: () => call('me'),
    listWorkspaces: () => call('listWorkspaces'),
    createWorkspace: (body: ApiBody<'createWorkspace'>) => call('createWorkspace', { body }),
    listApiTokens: (query: ApiQuery<'listApiTokens'> = {}) => call('listApiTokens', { query }),
    createApiToken: (body: ApiBody<'createApiToken'>) => call('createApiToken', { body }),
    revokeApiToken: (id: string) => call('revokeApiToken', { params: { id } }),
    listMembers: (workspaceId: string) => call('listMembers', { params: { workspaceId } }),
    listEventHistory: (query: EventHistoryQuery = {}) => call('listEventHistory', { query }),
    listAudit: (query: ApiQuery<'listAudit'> = {}) => call('listAudit', { query }),
    addMember: (workspaceId: string, body: ApiBody<'addMember'>) =>
      call('addMember', { params: { workspaceId }, body }),
    updateMember: (workspaceId: string, userId: string, body: ApiBody<'updateMember'>) =>
      call('updateMember', { params: { workspaceId, userId }, body }),
    removeMember: (workspaceId: string, userId: string) => call('removeMember', { params: { workspaceId, userId } }),
    listInvites: (workspaceId: string) => call('listInvites', { params: { workspaceId } }),
    createInvite: (workspaceId: string, body: ApiBody<'createInvite'>) =>
      call('createInvite', { params: { workspaceId }, body }),
    revokeInvite: (workspaceId: string, id: string) => call('revokeInvite', { params: { workspaceId, id } }),
    listDeployConfigs: (query: ApiQuery<'listDeployConfigs'> = {}) => call('listDeployConfigs', { query }),
    createDeployConfig: (body: ApiBody<'createDeployConfig'>) =>
      call('createDeployConfig', { body }) as Promise<CommandAccepted<'deployConfigId'>>,
    getDeployConfig: (id: string) => call('getDeployConfig', { params: { id } }),
    updateDeployConfig: (id: string, body: ApiBody<'updateDeployConfig'>) =>
      call('updateDeployConfig', { params: { id }, body }) as Promise<CommandAccepted<'deployConfigId'>>,
    deleteDeployConfig: (id: string) =>
      call('deleteDeployConfig', { params: { id } }) as Promise<CommandAccepted<'deployConfigId'>>,
    listServers: (query: ApiQuery<'listServers'> = {}) => call('listServers', { query }),
    getServer: (id: string) => call('getServer', { params: { id } }),
    provisionServer: (body: ApiBody<'provisionServer'>) =>
      call('provisionServer', { body }) as Promise<CommandAccepted<'serverId'>>,
    destroyServer: (id: string, force = false) =>
      call('destroyServer', { params: { id }, query: force ? { force: 'true' } : {} }) as Promise<
        CommandAccepted<'serverId'>
      >,
    refreshServer: (id: string) => call('refreshServer', { params: { id } }) as Promise<CommandAccepted<'serverId'>>,
    listRegions: (provider: Provider) => call('listRegions', { params: { provider } }),
    listSizes: (provider: Provider) => call('listSizes', { params: { provider } }),
    listProviders: () => call('listProviders'),
    /** Verified with the provider before it is saved; a token the provider refuses is `validation_failed`. */
    saveProviderCredentials: (provider: CredentialProvider, body: ApiBody<'saveProviderCredentials'>) =>
      call('saveProviderCredentials', { params: { provider }, body }),
    removeProviderCredentials: (provider: CredentialProvider) =>
      call('removeProviderCredentials', { params: { provider } }),
    listSnapshots: (query: ApiQuery<'listSnapshots'> = {}) => call('listSnapshots', { query }),
    getSnapshot: (id: string) => call('getSnapshot', { params: { id } }),
    createSnapshot: (body: ApiBody<'createSnapshot'>) =>
      call('createSnapshot', { body }) as Promise<CommandAccepted<'snapshotId'>>,
    deleteSnapshot: (id: string) =>
      call('deleteSnapshot', { params: { id } }) as Promise<CommandAccepted<'snapshotId'>>,
    listProjects: (query: ApiQuery<'listProjects'> = {}) => call('listProjects', { query }),
    createProject: (body: ApiBody<'createProject'>) =>
      call('createProject', { body }) as Promise<CommandAccepted<'projectId'>>,
    getProject: (id: string) => call('getProject', { params: { id } }),
    listServices: (projectId: string, query: ApiQuery<'listServices'> = {}) =>
      call('listServices', { params: { id: projectId }, query }),
    createService: (projectId: string, body: ApiBody<'createService'>) =>
      call('createService', { params: { id: projectId }, body }) as Promise<CommandAccepted<'serviceId'>>,
    getService: (id: string) => call('getService', { params: { id } }),
    updateService: (id: string, body: ApiBody<'updateService'>) =>
      call('updateService', { params: { id }, body }) as Promise<CommandAccepted<'serviceId'>>,
    /** `POST /v1/uploads`: the archive as the raw body (tar.gz or zip). */
    createUpload: (file: Blob, contentType: 'application/gzip' | 'application/zip') =>
      call('createUpload', { raw: { body: file, contentType } }),
    listDeployments: (query: ApiQuery<'listDeployments'> = {}) => call('listDeployments', { query }),
    createDeployment: (body: ApiBody<'createDeployment'>) =>
      call('createDeployment', { body }) as Promise<CommandAccepted<'deploymentId'>>,
    deployStreaming,
    getDeployment: (id: string) => call('getDeployment', { params: { id } }),
    getDeploymentLogs: (id: string) => call('getDeploymentLogs', { params: { id } }),
    rollbackDeployment: (id: string) =>
      call('rollbackDeployment', { params: { id } }) as Promise<CommandAccepted<'deploymentId'>>,
    listWebhooks: (query: ApiQuery<'listWebhooks'> = {}) => call('listWebhooks', { query }),
    /** The answer holds the endpoint's signing secret, shown this once. */
    createWebhook: (body: ApiBody<'createWebhook'>) => call('createWebhook', { body }),
    updateWebhook: (id: string, body: ApiBody<'updateWebhook'>) =>
      call('updateWebhook', { params: { id }, body }) as Promise<CommandAccepted<'webhookId'>>,
    deleteWebhook: (id: string) => call('deleteWebhook', { params: { id } }) as Promise<CommandAccepted<'webhookId'>>,
    rotateWebhookSecret: (id: string) => call('rotateWebhookSecret', { params: { id } }),
    sendTestWebhook: (id: string) => call('sendTestWebhook', { params: { id } }),
    listWebhookDeliveries: (id: string, query: ApiQuery<'listWebhookDeliveries'> = {}) =>
      call('listWebhookDeliveries', { params: { id }, query }),
    redeliverWebhookDelivery: (id: string, deliveryId: string) =>
      call('redeliverWebhookDelivery', { params: { id, deliveryId } }),
    redeliverWebhooks: (id: string, body: ApiBody<'redeliverWebhooks'>) =>
      call('redeliverWebhooks', { params: { id }, body }),
    /** `GET /v1/events`: the workspace's events, live; reconnects and resumes with Last-Event-ID by itself. */
    events: (
      handlers: EventStreamHandlers,
      query: { types?: string; deploymentId?: string } = {},
      lastEventId?: string,
    ): EventStream =>
      openEventStream({
        url: `${baseUrl}${routes.events.path}${queryString(query)}`,
        headers: { ...(options.workspaceId ? { 'x-workspace-id': options.workspaceId } : {}), ...options.headers },
        lastEventId,
        handlers,
      }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The outcome of a call as data, for server components (which must not throw for an expected refusal). */
export type Settled<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ApiErrorInfo };

export async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    if (error instanceof ApiRequestError) return { ok: false, error: error.toJSON() };
    throw error;
  }
}

/**
 * The first message per field, keyed by the field's path within the body (the API says `body.source.image`;
 * this gives `source.image`); an issue of one item of a list (`serverIds.2`) belongs to the list's field and
 * says which item it is about.
 */
export function issuesByField(issues: readonly FieldIssue[]): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const issue of issues) {
    const parts = issue.path.replace(/^body\./, '').split('.');
    let index: number | undefined;
    while (parts.length > 1 && /^\d+$/.test(parts[parts.length - 1])) index = Number(parts.pop());
    const message = index === undefined ? issue.message : `item ${index + 1}: ${issue.message}`;
    byField[parts.join('.')] ??= message;
  }
  return byField;
}
