import {
  DomainError,
  type CommandOf,
  type CreateProject,
  type EventOf,
  type ProjectCreated,
} from '@platform/contracts';
import type { Decider } from '@platform/decider';

export type ProjectCommand = CommandOf<typeof CreateProject>;
export type ProjectEvent = EventOf<typeof ProjectCreated>;

export type ProjectState = { readonly status: 'absent' } | { readonly status: 'active'; readonly workspaceId: string };

export function projectStreamId(projectId: string): string {
  return `project-${projectId}`;
}

export const projectDecider: Decider<ProjectCommand, ProjectEvent, ProjectState> = {
  initialState: () => ({ status: 'absent' }),
  decide(command, state, { metadata }) {
    if (state.status !== 'absent')
      throw new DomainError('conflict', `project ${command.data.projectId} exists already`);
    return [{ type: 'ProjectCreated', data: { ...command.data, workspaceId: metadata.workspaceId } }];
  },
  evolve: (_state, event) => ({ status: 'active', workspaceId: event.data.workspaceId }),
};
