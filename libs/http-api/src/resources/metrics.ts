import {
  DomainError,
  GetRequestStats,
  GetRequestTimeseries,
  ListRequestMetrics,
  type QueryParams,
} from '@platform/contracts';
import type { FastifyRequest } from 'fastify';
import type { RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';
import { accessOf } from '../request-state';

/**
 * The request metrics of the caller's workspace, answered by the metrics service (for workspace admins). A
 * `workspaceId` filter may name only that workspace: another one is not found, as everywhere in the API.
 */
export class MetricsResource {
  constructor(private readonly commands: CommandGateway) {}

  list(request: FastifyRequest, query: RouteQuery<'listRequestMetrics'>) {
    return this.requests(request, query);
  }

  slow(request: FastifyRequest, query: RouteQuery<'listSlowRequests'>) {
    const { thresholdMs, ...filters } = query;
    return this.requests(request, { ...filters, minLatencyMs: thresholdMs });
  }

  errors(request: FastifyRequest, query: RouteQuery<'listErrorRequests'>) {
    return this.requests(request, { ...query, errorsOnly: true });
  }

  stats(request: FastifyRequest, query: RouteQuery<'getRequestStats'>) {
    const { workspaceId, ...params } = query;
    checkWorkspace(request, workspaceId);
    return this.commands.relay(request, GetRequestStats, params);
  }

  timeseries(request: FastifyRequest, query: RouteQuery<'getRequestTimeseries'>) {
    const { workspaceId, ...params } = query;
    checkWorkspace(request, workspaceId);
    return this.commands.relay(request, GetRequestTimeseries, params);
  }

  private requests(request: FastifyRequest, query: QueryParams<typeof ListRequestMetrics> & { workspaceId?: string }) {
    const { workspaceId, ...params } = query;
    checkWorkspace(request, workspaceId);
    return this.commands.relay(request, ListRequestMetrics, params);
  }
}

function checkWorkspace(request: FastifyRequest, workspaceId: string | undefined): void {
  if (workspaceId !== undefined && workspaceId !== accessOf(request).workspaceId)
    throw new DomainError(
      'not_found',
      'no such workspace: workspaceId may name only the workspace you act in (X-Workspace-Id chooses another of yours)',
    );
}
