import { actorOf, type AuditLog } from '@platform/identity';
import type { FastifyRequest } from 'fastify';
import { accessOf, requestContextOf } from '../request-state';

/**
 * Records a change that no event carries (a file stored, a delivery sent again, a queued batch), once it is made:
 * nothing shares a transaction with the log there, so a crash between the change and this loses that one entry.
 */
export function recordRequestChange(
  audit: AuditLog,
  request: FastifyRequest,
  action: string,
  resource: { type: string; id: string },
  options: { instanceLevel?: boolean } = {},
): Promise<void> {
  const access = accessOf(request);
  return audit.record([
    {
      action,
      workspaceId: access.workspaceId,
      instanceLevel: options.instanceLevel,
      actor: actorOf(access.principal),
      resource,
      request: requestContextOf(request),
    },
  ]);
}
