import { DomainError } from '@platform/contracts';
import type { Identity } from '@platform/identity';
import type { FastifyRequest } from 'fastify';
import type { RouteQuery } from '../api-router';
import { accessOf } from '../request-state';

/**
 * The audit log over HTTP (`GET /v1/audit`): a workspace's entries for its owners and admins (the route needs the
 * `admin` scope), and the instance-level actions of every workspace for the instance's owner alone.
 */
export class AuditResource {
  constructor(private readonly identity: Identity) {}

  async list(request: FastifyRequest, query: RouteQuery<'listAudit'>) {
    const { scope, ...filters } = query;
    const access = accessOf(request);
    if (scope === 'workspace') return this.identity.audit.list({ workspaceId: access.workspaceId }, filters);
    const owner = await this.identity.instance.owner();
    if (owner?.ownerUserId !== access.principal.userId)
      throw new DomainError(
        'forbidden',
        "only the instance's owner reads instance-level actions; leave out scope to read this workspace's",
      );
    return this.identity.audit.list({ instanceLevel: true }, filters);
  }
}
