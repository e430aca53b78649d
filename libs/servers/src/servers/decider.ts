import {
  DomainError,
  type CommandOf,
  type DestroyServer,
  type EventOf,
  type ProvisionServer,
  type RefreshServer,
  type ServerChecked,
  type ServerCreated,
  type ServerDestroyed,
  type ServerDestroyFailed,
  type ServerDestroyRequested,
  type ServerProvisionFailed,
  type ServerProvisionRequested,
  type ServerReady,
  type ServerStatus,
} from '@platform/contracts';
import type { Decider } from '@platform/decider';

type Data<E extends { data: unknown }> = E['data'];

/** What the provisioning process reports back; only the provisioner itself sends these. */
export type ServerProgressCommand =
  | { type: 'RecordServerCreated'; data: Data<EventOf<typeof ServerCreated>> }
  | { type: 'RecordServerReady'; data: Data<EventOf<typeof ServerReady>> }
  | { type: 'RecordProvisionFailed'; data: Data<EventOf<typeof ServerProvisionFailed>> }
  | { type: 'RecordServerChecked'; data: Data<EventOf<typeof ServerChecked>> }
  | { type: 'RecordServerDestroyed'; data: Data<EventOf<typeof ServerDestroyed>> }
  | { type: 'RecordDestroyFailed'; data: Data<EventOf<typeof ServerDestroyFailed>> };

export type ServerCommand =
  | CommandOf<typeof ProvisionServer>
  | CommandOf<typeof DestroyServer>
  | CommandOf<typeof RefreshServer>
  | ServerProgressCommand;

export type ServerEvent =
  | EventOf<typeof ServerProvisionRequested>
  | EventOf<typeof ServerCreated>
  | EventOf<typeof ServerReady>
  | EventOf<typeof ServerProvisionFailed>
  | EventOf<typeof ServerChecked>
  | EventOf<typeof ServerDestroyRequested>
  | EventOf<typeof ServerDestroyed>
  | EventOf<typeof ServerDestroyFailed>;

export interface KnownServer {
  readonly status: ServerStatus;
  readonly workspaceId: string;
  readonly spec: Data<EventOf<typeof ServerProvisionRequested>>['spec'];
  readonly requestedAt: string;
  readonly created?: Data<EventOf<typeof ServerCreated>>;
  readonly agentVersion?: string;
  readonly failure?: string;
  readonly destroyForce?: boolean;
}

export type ServerState = { readonly status: 'absent' } | KnownServer;

export function serverStreamId(serverId: string): string {
  return `server-${serverId}`;
}

const notFound = (serverId: string) => new DomainError('not_found', `server ${serverId} does not exist`);

function known(state: ServerState, serverId: string, workspaceId: string): KnownServer {
  if (state.status === 'absent' || state.status === 'destroyed' || state.workspaceId !== workspaceId)
    throw notFound(serverId);
  return state;
}

/** A report from the provisioning process that no longer fits the server's state is dropped, not an error. */
function onlyWhen(state: ServerState, statuses: readonly ServerStatus[]): state is KnownServer {
  return state.status !== 'absent' && statuses.includes(state.status);
}

export const serverDecider: Decider<ServerCommand, ServerEvent, ServerState> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state, { metadata, now }) {
    switch (command.type) {
      case 'ProvisionServer': {
        if (state.status !== 'absent') {
          throw new DomainError('conflict', `server ${command.data.serverId} exists already`);
        }
        return [
          {
            type: 'ServerProvisionRequested',
            data: { ...command.data, workspaceId: metadata.workspaceId, requestedAt: now.toISOString() },
          },
        ];
      }
      case 'DestroyServer': {
        const server = known(state, command.data.serverId, metadata.workspaceId);
        if (server.status === 'destroying') return [];
        return [{ type: 'ServerDestroyRequested', data: command.data }];
      }
      case 'RefreshServer': {
        known(state, command.data.serverId, metadata.workspaceId);
        return [];
      }
      case 'RecordServerCreated':
        return onlyWhen(state, ['provisioning', 'destroying']) && !state.created
          ? [{ type: 'ServerCreated', data: command.data }]
          : [];
      case 'RecordServerReady':
        return onlyWhen(state, ['booting']) ? [{ type: 'ServerReady', data: command.data }] : [];
      case 'RecordProvisionFailed':
        return onlyWhen(state, ['provisioning', 'booting'])
          ? [{ type: 'ServerProvisionFailed', data: command.data }]
          : [];
      case 'RecordServerChecked':
        return onlyWhen(state, ['ready', 'failed']) ? [{ type: 'ServerChecked', data: command.data }] : [];
      case 'RecordServerDestroyed':
        return onlyWhen(state, ['destroying']) ? [{ type: 'ServerDestroyed', data: command.data }] : [];
      case 'RecordDestroyFailed':
        return onlyWhen(state, ['destroying']) ? [{ type: 'ServerDestroyFailed', data: command.data }] : [];
    }
  },

  evolve(state, event) {
    if (event.type === 'ServerProvisionRequested') {
      return {
        status: 'provisioning',
        workspaceId: event.data.workspaceId,
        spec: event.data.spec,
        requestedAt: event.data.requestedAt,
      };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'ServerCreated':
        return { ...state, status: state.status === 'destroying' ? 'destroying' : 'booting', created: event.data };
      case 'ServerReady':
        return { ...state, status: 'ready', agentVersion: event.data.agentVersion, failure: undefined };
      case 'ServerProvisionFailed':
        return { ...state, status: 'failed', failure: event.data.reason };
      case 'ServerChecked':
        return event.data.reachable
          ? {
              ...state,
              status: 'ready',
              agentVersion: event.data.agentVersion ?? state.agentVersion,
              failure: undefined,
            }
          : { ...state, status: 'failed', failure: 'the agent does not answer' };
      case 'ServerDestroyRequested':
        return { ...state, status: 'destroying', destroyForce: event.data.force };
      case 'ServerDestroyed':
        return { ...state, status: 'destroyed' };
      case 'ServerDestroyFailed':
        return { ...state, status: 'failed', failure: `destroying failed: ${event.data.reason}` };
    }
  },
};
