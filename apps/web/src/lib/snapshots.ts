/** Snapshots in the console: following their build and deletion live from the event stream. */
import type {
  EventData,
  EventEnvelope,
  SnapshotBuilderReady,
  SnapshotDeleteFailed,
  SnapshotFailed,
  SnapshotRequested,
  SnapshotStatus,
  SnapshotStep,
  SnapshotTaken,
  SnapshotView,
} from '@platform/contracts';
import { shortId } from './format';

/** Event types that change a snapshot; the console's list applies these and ignores the rest. */
export const SNAPSHOT_EVENT_TYPES = [
  'SnapshotRequested',
  'SnapshotBuilderCreated',
  'SnapshotBuilderReady',
  'SnapshotTaken',
  'SnapshotReady',
  'SnapshotFailed',
  'SnapshotDeleteRequested',
  'SnapshotDeleted',
  'SnapshotDeleteFailed',
] as const;

export function isSnapshotEvent(event: EventEnvelope): boolean {
  return (SNAPSHOT_EVENT_TYPES as readonly string[]).includes(event.type);
}

/** The build's steps in order, as people read them. */
export const SNAPSHOT_STEPS: readonly { step: SnapshotStep; label: string }[] = [
  { step: 'create-builder', label: 'create builder' },
  { step: 'wait-for-agent', label: 'wait for agent' },
  { step: 'snapshot', label: 'take snapshot' },
  { step: 'remove-builder', label: 'remove builder' },
];

export function stepLabel(step: SnapshotStep): string {
  return SNAPSHOT_STEPS.find((item) => item.step === step)?.label ?? step;
}

export const snapshotStatusTone: Record<SnapshotStatus, string> = {
  building: 'accent',
  ready: 'success',
  failed: 'danger',
  deleting: 'warning',
  deleted: 'warning',
};

/** What a row is called before the API has told its name (a snapshot requested from another tab). */
export function placeholderName(snapshotId: string): string {
  return `snapshot ${shortId(snapshotId)}`;
}

function update(
  items: readonly SnapshotView[],
  snapshotId: string,
  at: string,
  change: Partial<SnapshotView>,
): readonly SnapshotView[] {
  return items.map((item) => (item.id === snapshotId ? { ...item, ...change, updatedAt: at } : item));
}

/**
 * Applies a snapshot event to a list of snapshots, newest first, as the read model does (so a reload shows the
 * same: a failed build keeps its reason, not its step). A snapshot requested
 * elsewhere appears from its `SnapshotRequested` under a placeholder name (the page then asks the API for it);
 * a deleted one leaves the list.
 */
export function applySnapshotEvent(items: readonly SnapshotView[], event: EventEnvelope): readonly SnapshotView[] {
  const at = event.occurredAt;
  const snapshotId = (event.data as { snapshotId?: string }).snapshotId;
  if (!snapshotId) return items;
  switch (event.type) {
    case 'SnapshotRequested': {
      const data = event.data as EventData<typeof SnapshotRequested>;
      if (items.some((item) => item.id === snapshotId)) return items;
      const created: SnapshotView = {
        id: snapshotId,
        name: placeholderName(snapshotId),
        provider: data.spec.provider,
        region: data.spec.region,
        status: 'building',
        step: 'create-builder',
        providerSnapshotId: null,
        agentVersion: data.agentVersion,
        agentOutdated: false,
        regions: [],
        sizeGb: null,
        failureReason: null,
        createdAt: data.requestedAt,
        updatedAt: at,
      };
      return [created, ...items];
    }
    case 'SnapshotBuilderCreated':
      return update(items, snapshotId, at, { step: 'wait-for-agent' });
    case 'SnapshotBuilderReady': {
      const data = event.data as EventData<typeof SnapshotBuilderReady>;
      return update(items, snapshotId, at, { step: 'snapshot', agentVersion: data.agentVersion });
    }
    case 'SnapshotTaken': {
      const data = event.data as EventData<typeof SnapshotTaken>;
      return update(items, snapshotId, at, {
        step: 'remove-builder',
        providerSnapshotId: data.providerSnapshotId,
        regions: data.regions,
        sizeGb: data.sizeGb,
      });
    }
    case 'SnapshotReady':
      return update(items, snapshotId, at, { status: 'ready', step: null, failureReason: null });
    case 'SnapshotFailed': {
      const data = event.data as EventData<typeof SnapshotFailed>;
      return update(items, snapshotId, at, { status: 'failed', step: null, failureReason: data.reason });
    }
    case 'SnapshotDeleteRequested':
      return update(items, snapshotId, at, { status: 'deleting', step: null });
    case 'SnapshotDeleted':
      return items.filter((item) => item.id !== snapshotId);
    case 'SnapshotDeleteFailed': {
      const data = event.data as EventData<typeof SnapshotDeleteFailed>;
      return update(items, snapshotId, at, {
        status: 'failed',
        failureReason: `deleting failed: ${data.reason}; delete it again`,
      });
    }
    default:
      return items;
  }
}

/** Puts the API's view of a snapshot in place of the row built from events (or adds it, newest first). */
export function mergeSnapshot(items: readonly SnapshotView[], snapshot: SnapshotView): readonly SnapshotView[] {
  if (snapshot.status === 'deleted') return items.filter((item) => item.id !== snapshot.id);
  if (!items.some((item) => item.id === snapshot.id)) return [snapshot, ...items];
  // An event newer than the read model's answer already moved the row on: keep what the events said.
  return items.map((item) =>
    item.id === snapshot.id ? (item.updatedAt > snapshot.updatedAt ? { ...snapshot, ...pick(item) } : snapshot) : item,
  );
}

function pick(item: SnapshotView): Partial<SnapshotView> {
  return { status: item.status, step: item.step, failureReason: item.failureReason, updatedAt: item.updatedAt };
}

/** Ready snapshots a server in `region` can boot from. */
export function snapshotsForRegion(items: readonly SnapshotView[], region: string): SnapshotView[] {
  return items.filter(
    (item) =>
      item.status === 'ready' && (item.regions.length > 0 ? item.regions.includes(region) : item.region === region),
  );
}
