import {
  DomainError,
  EXPECTED_AGENT_VERSION,
  type CommandOf,
  type CreateSnapshot,
  type DeleteSnapshot,
  type EventOf,
  type SnapshotBuilderCreated,
  type SnapshotBuilderReady,
  type SnapshotDeleted,
  type SnapshotDeleteFailed,
  type SnapshotDeleteRequested,
  type SnapshotFailed,
  type SnapshotReady,
  type SnapshotRequested,
  type SnapshotStatus,
  type SnapshotStep,
  type SnapshotTaken,
} from '@platform/contracts';
import type { Decider } from '@platform/decider';

type Data<E extends { data: unknown }> = E['data'];

/** What the snapshot building process reports back; only the provisioner itself sends these. */
export type SnapshotProgressCommand =
  | { type: 'RecordBuilderCreated'; data: Data<EventOf<typeof SnapshotBuilderCreated>> }
  | { type: 'RecordBuilderReady'; data: Data<EventOf<typeof SnapshotBuilderReady>> }
  | { type: 'RecordSnapshotTaken'; data: Data<EventOf<typeof SnapshotTaken>> }
  | { type: 'RecordSnapshotReady'; data: Data<EventOf<typeof SnapshotReady>> }
  | { type: 'RecordSnapshotFailed'; data: Data<EventOf<typeof SnapshotFailed>> }
  | { type: 'RecordSnapshotDeleted'; data: Data<EventOf<typeof SnapshotDeleted>> }
  | { type: 'RecordSnapshotDeleteFailed'; data: Data<EventOf<typeof SnapshotDeleteFailed>> };

export type SnapshotCommand =
  CommandOf<typeof CreateSnapshot> | CommandOf<typeof DeleteSnapshot> | SnapshotProgressCommand;

export type SnapshotEvent =
  | EventOf<typeof SnapshotRequested>
  | EventOf<typeof SnapshotBuilderCreated>
  | EventOf<typeof SnapshotBuilderReady>
  | EventOf<typeof SnapshotTaken>
  | EventOf<typeof SnapshotReady>
  | EventOf<typeof SnapshotFailed>
  | EventOf<typeof SnapshotDeleteRequested>
  | EventOf<typeof SnapshotDeleted>
  | EventOf<typeof SnapshotDeleteFailed>;

export interface KnownSnapshot {
  readonly status: SnapshotStatus;
  /** Where a snapshot being built is; null once it is not being built. */
  readonly step: SnapshotStep | null;
  readonly workspaceId: string;
  readonly spec: Data<EventOf<typeof SnapshotRequested>>['spec'];
  readonly agentVersion: string;
  readonly requestedAt: string;
  readonly builder?: Data<EventOf<typeof SnapshotBuilderCreated>>;
  readonly taken?: Data<EventOf<typeof SnapshotTaken>>;
  readonly failure?: string;
}

export type SnapshotState = { readonly status: 'absent' } | KnownSnapshot;

export function snapshotStreamId(snapshotId: string): string {
  return `snapshot-${snapshotId}`;
}

const notFound = (snapshotId: string) => new DomainError('not_found', `snapshot ${snapshotId} does not exist`);

function known(state: SnapshotState, snapshotId: string, workspaceId: string): KnownSnapshot {
  if (state.status === 'absent' || state.status === 'deleted' || state.workspaceId !== workspaceId)
    throw notFound(snapshotId);
  return state;
}

/** A report that no longer fits the snapshot's state (a retry after a crash, a late answer) is dropped, not an error. */
function atStep(state: SnapshotState, step: SnapshotStep): state is KnownSnapshot {
  return state.status === 'building' && state.step === step;
}

export const snapshotDecider: Decider<SnapshotCommand, SnapshotEvent, SnapshotState> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state, { metadata, now }) {
    switch (command.type) {
      case 'CreateSnapshot':
        if (state.status !== 'absent')
          throw new DomainError('conflict', `snapshot ${command.data.snapshotId} exists already`);
        return [
          {
            type: 'SnapshotRequested',
            data: {
              ...command.data,
              workspaceId: metadata.workspaceId,
              agentVersion: EXPECTED_AGENT_VERSION,
              requestedAt: now.toISOString(),
            },
          },
        ];
      case 'DeleteSnapshot': {
        const snapshot = known(state, command.data.snapshotId, metadata.workspaceId);
        if (snapshot.status === 'deleting') return [];
        if (snapshot.status === 'building') {
          throw new DomainError(
            'conflict',
            `snapshot ${command.data.snapshotId} is still being built; delete it once it is ready or failed`,
          );
        }
        return [{ type: 'SnapshotDeleteRequested', data: command.data }];
      }
      case 'RecordBuilderCreated':
        return atStep(state, 'create-builder') ? [{ type: 'SnapshotBuilderCreated', data: command.data }] : [];
      case 'RecordBuilderReady':
        return atStep(state, 'wait-for-agent') ? [{ type: 'SnapshotBuilderReady', data: command.data }] : [];
      case 'RecordSnapshotTaken':
        return atStep(state, 'snapshot') ? [{ type: 'SnapshotTaken', data: command.data }] : [];
      case 'RecordSnapshotReady':
        return atStep(state, 'remove-builder') ? [{ type: 'SnapshotReady', data: command.data }] : [];
      case 'RecordSnapshotFailed':
        return state.status === 'building' ? [{ type: 'SnapshotFailed', data: command.data }] : [];
      case 'RecordSnapshotDeleted':
        return state.status === 'deleting' ? [{ type: 'SnapshotDeleted', data: command.data }] : [];
      case 'RecordSnapshotDeleteFailed':
        return state.status === 'deleting' ? [{ type: 'SnapshotDeleteFailed', data: command.data }] : [];
    }
  },

  evolve(state, event) {
    if (event.type === 'SnapshotRequested') {
      const { workspaceId, spec, agentVersion, requestedAt } = event.data;
      return { status: 'building', step: 'create-builder', workspaceId, spec, agentVersion, requestedAt };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'SnapshotBuilderCreated':
        return { ...state, step: 'wait-for-agent', builder: event.data };
      case 'SnapshotBuilderReady':
        return { ...state, step: 'snapshot' };
      case 'SnapshotTaken':
        return { ...state, step: 'remove-builder', taken: event.data };
      case 'SnapshotReady':
        return { ...state, status: 'ready', step: null };
      case 'SnapshotFailed':
        return { ...state, status: 'failed', step: null, failure: event.data.reason };
      case 'SnapshotDeleteRequested':
        return { ...state, status: 'deleting', step: null };
      case 'SnapshotDeleted':
        return { ...state, status: 'deleted' };
      case 'SnapshotDeleteFailed':
        return { ...state, status: 'failed', failure: `deleting failed: ${event.data.reason}; delete it again` };
    }
  },
};
