import type { ErrorCode } from '../errors';

/** Every route of the agent's HTTP API, named once for the agent and its client. */
export const AgentEndpoints = {
  health: { method: 'GET', path: '/v1/health' },
  version: { method: 'GET', path: '/v1/version' },
  buildImage: { method: 'POST', path: '/v1/images/build' },
  pullImage: { method: 'POST', path: '/v1/images/pull' },
  tagImage: { method: 'POST', path: '/v1/images/tag' },
  listImages: { method: 'GET', path: '/v1/images' },
  removeImage: { method: 'POST', path: '/v1/images/remove' },
  pruneImages: { method: 'POST', path: '/v1/images/prune' },
  runContainer: { method: 'POST', path: '/v1/containers' },
  listContainers: { method: 'GET', path: '/v1/containers' },
  stopContainer: { method: 'POST', path: '/v1/containers/:name/stop' },
  containerLogs: { method: 'GET', path: '/v1/containers/:name/logs' },
  containerHealth: { method: 'GET', path: '/v1/containers/:name/health' },
  applyRoutes: { method: 'PUT', path: '/v1/edge/routes' },
  getRoutes: { method: 'GET', path: '/v1/edge/routes' },
  cutover: { method: 'POST', path: '/v1/cutover' },
} as const;

export type AgentEndpointName = keyof typeof AgentEndpoints;

/** Content type of the answers that stream one JSON object per line (build, cutover). */
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_request: 400,
  invalid_message: 400,
  unauthorized: 401,
  forbidden: 403,
  signup_closed: 403,
  invite_not_found: 404,
  invite_used: 409,
  invite_expired: 410,
  invite_revoked: 410,
  workspace_limit_reached: 403,
  not_found: 404,
  conflict: 409,
  name_taken: 409,
  stream_version_conflict: 409,
  idempotency_key_reused: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  archive_refused: 422,
  rate_limited: 429,
  timeout: 504,
  unavailable: 503,
  internal: 500,
};

/** The HTTP status the agent answers an error code with. */
export function agentHttpStatus(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}
