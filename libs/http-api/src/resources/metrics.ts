import {
  apiRoutes,
  DomainError,
  GetRequestStats,
  GetRequestTimeseries,
  ListRequestMetrics,
  type QueryParams,
} from '@platform/contracts';
import type { AuditLog, Instance } from '@platform/identity';
import type { FailedBatches } from '@platform/request-metrics';
import type { FastifyRequest } from 'fastify';
import type { RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';
import { accessOf } from '../request-state';
import { recordRequestChange } from './request-audit';

/**
 * The request metrics, answered by the metrics service, for admins. A workspace admin reads their workspace (a
 * `workspaceId` filter may name only it: another one is not found, as everywhere in the API). The instance admin,
 * its owner, reads every workspace, or the one a `workspaceId` filter names; they alone see the failed batches,
 * which span workspaces.
 */
export class MetricsResource {
  constructor(
    private readonly commands: CommandGateway,
    private readonly instance: Instance,
    private readonly failedBatches: FailedBatches,
    private readonly audit: AuditLog,
  ) {}

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

  async stats(request: FastifyRequest, query: RouteQuery<'getRequestStats'>) {
    const { workspaceId, ...params } = query;
    return this.commands.relay(request, GetRequestStats, { ...params, ...(await this.scopeOf(request, workspaceId)) });
  }

  async timeseries(request: FastifyRequest, query: RouteQuery<'getRequestTimeseries'>) {
    const { workspaceId, ...params } = query;
    return this.commands.relay(request, GetRequestTimeseries, {
      ...params,
      ...(await this.scopeOf(request, workspaceId)),
    });
  }

  async failed(request: FastifyRequest, query: RouteQuery<'listFailedRequestBatches'>) {
    await this.checkInstanceAdmin(request);
    return { items: await this.failedBatches.list(query.limit) };
  }

  async retryFailed(request: FastifyRequest, id: string) {
    await this.checkInstanceAdmin(request);
    await this.failedBatches.retry(id);
    await recordRequestChange(
      this.audit,
      request,
      apiRoutes.retryFailedRequestBatch.operationId,
      { type: 'request_batch', id },
      { instanceLevel: true },
    );
    return { id };
  }

  private async requests(
    request: FastifyRequest,
    query: Omit<QueryParams<typeof ListRequestMetrics>, 'workspaceScope'> & { workspaceId?: string },
  ) {
    const { workspaceId, ...params } = query;
    return this.commands.relay(request, ListRequestMetrics, {
      ...params,
      ...(await this.scopeOf(request, workspaceId)),
    });
  }

  private async isInstanceAdmin(request: FastifyRequest): Promise<boolean> {
    return (await this.instance.owner())?.ownerUserId === accessOf(request).principal.userId;
  }

  /** The instance admin's scope (every workspace, or the one named); anyone else's own workspace. */
  private async scopeOf(request: FastifyRequest, workspaceId: string | undefined) {
    if (await this.isInstanceAdmin(request)) return { workspaceScope: workspaceId ?? ('all' as const) };
    if (workspaceId !== undefined && workspaceId !== accessOf(request).workspaceId)
      throw new DomainError(
        'not_found',
        'no such workspace: workspaceId may name only the workspace you act in (X-Workspace-Id chooses another of yours)',
      );
    return {};
  }

  private async checkInstanceAdmin(request: FastifyRequest): Promise<void> {
    if (!(await this.isInstanceAdmin(request)))
      throw new DomainError(
        'forbidden',
        "failed batches of request metrics span every workspace: only the instance's admin (its owner) sees them",
      );
  }
}
