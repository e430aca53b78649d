import {
  DomainError,
  type CommandOf,
  type CreateDeployConfig,
  type DeleteDeployConfig,
  type DeployConfigCreated,
  type DeployConfigDeleted,
  type DeployConfigFields,
  type DeployConfigUpdated,
  type EventOf,
  type UpdateDeployConfig,
} from '@platform/contracts';
import type { DecisionContext, Decider } from '@platform/decider';
import { isDeepStrictEqual } from 'node:util';

export type DeployConfigCommand =
  CommandOf<typeof CreateDeployConfig> | CommandOf<typeof UpdateDeployConfig> | CommandOf<typeof DeleteDeployConfig>;

export type DeployConfigEvent =
  EventOf<typeof DeployConfigCreated> | EventOf<typeof DeployConfigUpdated> | EventOf<typeof DeployConfigDeleted>;

export type DeployConfigState =
  | { readonly status: 'absent' }
  | { readonly status: 'active'; readonly workspaceId: string; readonly fields: DeployConfigFields }
  | { readonly status: 'deleted'; readonly workspaceId: string };

export function deployConfigStreamId(deployConfigId: string): string {
  return `deployConfig-${deployConfigId}`;
}

const notFound = (id: string) => new DomainError('not_found', `deploy config ${id} does not exist`);

/** A deploy config of another workspace is answered exactly like one that does not exist. */
function ownedActive(state: DeployConfigState, id: string, { metadata }: DecisionContext) {
  if (state.status !== 'active' || state.workspaceId !== metadata.workspaceId) throw notFound(id);
  return state;
}

export const deployConfigDecider: Decider<DeployConfigCommand, DeployConfigEvent, DeployConfigState> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state, context) {
    const workspaceId = context.metadata.workspaceId;
    switch (command.type) {
      case 'CreateDeployConfig': {
        const { deployConfigId, fields } = command.data;
        if (state.status !== 'absent') {
          throw new DomainError('conflict', `deploy config ${deployConfigId} exists already; choose another id`);
        }
        return [{ type: 'DeployConfigCreated', data: { deployConfigId, workspaceId, fields } }];
      }
      case 'UpdateDeployConfig': {
        const { deployConfigId, fields } = command.data;
        const current = ownedActive(state, deployConfigId, context);
        if (isDeepStrictEqual(current.fields, fields)) return [];
        return [{ type: 'DeployConfigUpdated', data: { deployConfigId, workspaceId, fields } }];
      }
      case 'DeleteDeployConfig': {
        const { deployConfigId } = command.data;
        const active = ownedActive(state, deployConfigId, context);
        return [{ type: 'DeployConfigDeleted', data: { deployConfigId, workspaceId, name: active.fields.name } }];
      }
    }
  },

  evolve(_state, event) {
    switch (event.type) {
      case 'DeployConfigCreated':
      case 'DeployConfigUpdated':
        return { status: 'active', workspaceId: event.data.workspaceId, fields: event.data.fields };
      case 'DeployConfigDeleted':
        return { status: 'deleted', workspaceId: event.data.workspaceId };
    }
  },
};
