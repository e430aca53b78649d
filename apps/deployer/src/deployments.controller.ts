import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import {
  CreateProject,
  CreateService,
  DeployService,
  GetDeployment,
  GetDeploymentLogs,
  GetProject,
  GetService,
  ListDeployments,
  ListProjects,
  ListServices,
  RollbackDeployment,
  UpdateService,
} from '@platform/contracts';
import type {
  ApplicationQueries,
  ProjectState,
  ServiceCommand,
  ServiceEvent,
  ServiceState,
} from '@platform/deployments';
import type { DeciderCommandHandler } from '@platform/service-kit';
import type { CommandOf, EventOf, ProjectCreated } from '@platform/contracts';
import { APPLICATION_QUERIES, PROJECT_COMMANDS, SERVICE_COMMANDS } from './deployer.providers';

@Controller()
export class ApplicationsController {
  constructor(
    @Inject(PROJECT_COMMANDS)
    private readonly projects: DeciderCommandHandler<
      CommandOf<typeof CreateProject>,
      EventOf<typeof ProjectCreated>,
      ProjectState
    >,
    @Inject(SERVICE_COMMANDS)
    private readonly services: DeciderCommandHandler<ServiceCommand, ServiceEvent, ServiceState>,
    @Inject(APPLICATION_QUERIES) private readonly queries: ApplicationQueries,
  ) {}

  @OnCommand(CreateProject)
  createProject(command: CommandMessage<typeof CreateProject>) {
    return this.projects.handle(command);
  }

  @OnCommand(CreateService)
  createService(command: CommandMessage<typeof CreateService>) {
    return this.services.handle(command);
  }

  @OnCommand(UpdateService)
  updateService(command: CommandMessage<typeof UpdateService>) {
    return this.services.handle(command);
  }

  @OnCommand(DeployService)
  deploy(command: CommandMessage<typeof DeployService>) {
    return this.services.handle(command);
  }

  @OnCommand(RollbackDeployment)
  rollback(command: CommandMessage<typeof RollbackDeployment>) {
    return this.services.handle(command);
  }

  @OnQuery(ListProjects, { cached: true })
  listProjects(query: QueryMessage<typeof ListProjects>) {
    return this.queries.listProjects(query.workspaceId, query.params);
  }

  @OnQuery(GetProject, { cached: true })
  getProject(query: QueryMessage<typeof GetProject>) {
    return this.queries.getProject(query.workspaceId, query.params.projectId);
  }

  @OnQuery(ListServices, { cached: true })
  listServices(query: QueryMessage<typeof ListServices>) {
    return this.queries.listServices(query.workspaceId, query.params);
  }

  @OnQuery(GetService, { cached: true })
  getService(query: QueryMessage<typeof GetService>) {
    return this.queries.getService(query.workspaceId, query.params.serviceId);
  }

  @OnQuery(ListDeployments, { cached: true })
  listDeployments(query: QueryMessage<typeof ListDeployments>) {
    return this.queries.listDeployments(query.workspaceId, query.params);
  }

  @OnQuery(GetDeployment, { cached: true })
  getDeployment(query: QueryMessage<typeof GetDeployment>) {
    return this.queries.getDeployment(query.workspaceId, query.params.deploymentId);
  }

  @OnQuery(GetDeploymentLogs, { cached: true })
  logs(query: QueryMessage<typeof GetDeploymentLogs>) {
    return this.queries.deploymentLogs(query.workspaceId, query.params);
  }
}
