import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import { CreateProject, GetProject, ListProjects } from '@platform/contracts';
import type { ProjectCommand, ProjectEvent, ProjectQueries, ProjectState } from '@platform/deployments';
import type { DeciderCommandHandler } from '@platform/service-kit';
import { PROJECT_COMMANDS, PROJECT_QUERIES } from './deployer.providers';

@Controller()
export class ProjectsController {
  constructor(
    @Inject(PROJECT_COMMANDS)
    private readonly commands: DeciderCommandHandler<ProjectCommand, ProjectEvent, ProjectState>,
    @Inject(PROJECT_QUERIES) private readonly queries: ProjectQueries,
  ) {}

  @OnCommand(CreateProject)
  create(command: CommandMessage<typeof CreateProject>) {
    return this.commands.handle(command);
  }

  @OnQuery(ListProjects, { cached: true })
  list(query: QueryMessage<typeof ListProjects>) {
    return this.queries.list(query.workspaceId, query.params);
  }

  @OnQuery(GetProject, { cached: true })
  get(query: QueryMessage<typeof GetProject>) {
    return this.queries.get(query.workspaceId, query.params);
  }
}
