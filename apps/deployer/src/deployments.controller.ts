import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import {
  DeployService,
  GetDeployment,
  GetDeploymentLogs,
  ListDeployments,
  RollbackDeployment,
} from '@platform/contracts';
import type { DeploymentQueries, ServiceCommand, ServiceEvent, ServiceState } from '@platform/deployments';
import type { DeciderCommandHandler } from '@platform/service-kit';
import { DEPLOYMENT_QUERIES, SERVICE_COMMANDS } from './deployer.providers';

/** A deployment is decided by its service (one at a time each), so its commands go to the service's handler. */
@Controller()
export class DeploymentsController {
  constructor(
    @Inject(SERVICE_COMMANDS)
    private readonly services: DeciderCommandHandler<ServiceCommand, ServiceEvent, ServiceState>,
    @Inject(DEPLOYMENT_QUERIES) private readonly queries: DeploymentQueries,
  ) {}

  @OnCommand(DeployService)
  deploy(command: CommandMessage<typeof DeployService>) {
    return this.services.handle(command);
  }

  @OnCommand(RollbackDeployment)
  rollback(command: CommandMessage<typeof RollbackDeployment>) {
    return this.services.handle(command);
  }

  @OnQuery(ListDeployments, { cached: true })
  list(query: QueryMessage<typeof ListDeployments>) {
    return this.queries.list(query.workspaceId, query.params);
  }

  @OnQuery(GetDeployment, { cached: true })
  get(query: QueryMessage<typeof GetDeployment>) {
    return this.queries.get(query.workspaceId, query.params);
  }

  @OnQuery(GetDeploymentLogs, { cached: true })
  logs(query: QueryMessage<typeof GetDeploymentLogs>) {
    return this.queries.logs(query.workspaceId, query.params);
  }
}
