import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { AuditResource, Route, type RouteCall } from '@platform/http-api';

@Injectable()
export class AuditController {
  constructor(@Inject(AuditResource) private readonly audit: AuditResource) {}

  @Route(apiRoutes.listAudit)
  list({ request, input }: RouteCall<typeof apiRoutes.listAudit>) {
    return this.audit.list(request, input.query);
  }
}
