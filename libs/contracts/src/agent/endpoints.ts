import { httpStatusOfCode, type ErrorCode } from '../errors';

/** Every route of the agent's HTTP API, named once for the agent and its client. */
export const AgentEndpoints = {
  health: { method: 'GET', path: '/v1/health' },
  version: { method: 'GET', path: '/v1/version' },
  buildImage: { method: 'POST', path: '/v1/images/build' },
  pullImage: { method: 'POST', path: '/v1/images/pull' },
  tagImage: { method: 'POST', path: '/v1/images/tag' },
  pushImage: { method: 'POST', path: '/v1/images/push' },
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
  putChallenge: { method: 'PUT', path: '/v1/edge/challenges/:token' },
  removeChallenge: { method: 'DELETE', path: '/v1/edge/challenges/:token' },
} as const;

export type AgentEndpointName = keyof typeof AgentEndpoints;

/** Content type of the answers that stream one JSON object per line (build, cutover). */
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** The HTTP status the agent answers an error code with. */
export function agentHttpStatus(code: ErrorCode): number {
  return code === 'invalid_message' ? 400 : httpStatusOfCode[code];
}
