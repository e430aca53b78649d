'use client';

import type { SnapshotView } from '@platform/contracts';
import Link from 'next/link';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Dialog } from '../../../components/dialog';
import { EmptyState } from '../../../components/empty-state';
import { formText, useFocusOnFieldErrors, FormActions } from '../../../components/fields';
import { useEventListener } from '../../../components/live-events';
import { usePagedList } from '../../../components/paged-list';
import { ConfirmButton } from '../../../components/confirm-button';
import { DataTable, type Column } from '../../../components/data-table';
import { useFailureReporter, useSession } from '../../../components/session-context';
import { TimeAgo } from '../../../components/time-ago';
import { useToast } from '../../../components/toasts';
import { ApiRequestError, issuesByField, type ApiResponse } from '../../../lib/api';
import { sentence } from '../../../lib/format';
import { isProviderEvent } from '../../../lib/providers';
import {
  applySnapshotEvent,
  isSnapshotEvent,
  mergeSnapshot,
  SNAPSHOT_STEPS,
  snapshotStatusTone,
  stepLabel,
} from '../../../lib/snapshots';
import { CatalogProblem, RegionField, SizeField, sizesIn, type Region, type Size } from './catalog';

const PAGE_SIZE = 50;

/** Events after which the read model's view is worth asking for: the name and the agent check come from it. */
const RECONCILE_ON = new Set(['SnapshotRequested', 'SnapshotReady', 'SnapshotFailed', 'SnapshotDeleteFailed']);

const columns: readonly Column<SnapshotView>[] = [
  {
    header: 'Name',
    cell: (snapshot) => (
      <>
        {snapshot.name}
        {snapshot.providerSnapshotId && (
          <div className="muted small-text mono">image {snapshot.providerSnapshotId}</div>
        )}
      </>
    ),
  },
  {
    header: 'Status',
    cell: (snapshot) => (
      <>
        <span
          className={`badge ${snapshotStatusTone[snapshot.status]}`}
          aria-label={`Status of ${snapshot.name}: ${snapshot.status}`}
        >
          {snapshot.status}
        </span>
        <SnapshotProgress snapshot={snapshot} />
        {snapshot.failureReason && <div className="small-text danger-text">{sentence(snapshot.failureReason)}</div>}
      </>
    ),
  },
  {
    header: 'Region',
    cell: (snapshot) => (snapshot.regions.length > 0 ? snapshot.regions.join(', ') : snapshot.region),
  },
  { header: 'Size', cell: (snapshot) => (snapshot.sizeGb !== null ? `${snapshot.sizeGb} GB` : '—') },
  {
    header: 'Agent',
    cell: (snapshot) => (
      <>
        <span className="mono">{snapshot.agentVersion}</span>
        {snapshot.agentOutdated && (
          <span
            className="badge warning"
            title="Servers made from it start with an outdated agent: build a new snapshot."
          >
            outdated
          </span>
        )}
      </>
    ),
  },
  { header: 'Created', cell: (snapshot) => <TimeAgo iso={snapshot.createdAt} /> },
];

export function SnapshotList({
  firstPage,
  digitalOceanConnected,
}: {
  firstPage: ApiResponse<'listSnapshots'>;
  digitalOceanConnected: boolean | null;
}) {
  const { api, can } = useSession();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const { items, setItems, paging } = usePagedList<SnapshotView>(
    firstPage,
    (cursor) => api.listSnapshots({ limit: PAGE_SIZE, cursor }),
    reportFailure,
  );
  const [connected, setConnected] = useState(digitalOceanConnected);
  const [creating, setCreating] = useState(false);

  /** The read model catches up with the events moments later: asked once more after a short wait if it does not know the snapshot yet. */
  async function reconcile(snapshotId: string, attempt = 0): Promise<void> {
    try {
      const snapshot = await api.getSnapshot(snapshotId);
      setItems((current) => mergeSnapshot(current, snapshot));
    } catch (error) {
      if (error instanceof ApiRequestError && error.code === 'not_found' && attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
        return reconcile(snapshotId, attempt + 1);
      }
      // The events keep the row current anyway; nothing to bother anyone with.
    }
  }

  useEventListener((event) => {
    if (isProviderEvent(event) && (event.data as { provider?: string }).provider === 'digitalocean') {
      setConnected(event.type === 'ProviderConnected');
      return;
    }
    if (!isSnapshotEvent(event)) return;
    setItems((current) => applySnapshotEvent(current, event));
    if (RECONCILE_ON.has(event.type)) void reconcile((event.data as { snapshotId: string }).snapshotId);
  });

  const visible = items.filter((item) => item.status !== 'deleted');
  const mayCreate = can('createSnapshot');
  const createButton = mayCreate && (
    <button
      type="button"
      className="button primary"
      disabled={connected === false}
      aria-describedby={connected === false ? 'snapshots-connect-first' : undefined}
      onClick={() => setCreating(true)}
    >
      Build a snapshot
    </button>
  );
  const connectFirst = connected === false && (
    <p id="snapshots-connect-first" className="muted">
      Snapshots are DigitalOcean images: connect DigitalOcean first under{' '}
      <Link href="/settings/providers">Settings → Cloud providers</Link>
      {can('saveProviderCredentials') ? '.' : ' (an owner or admin saves its token).'}
    </p>
  );

  return (
    <section className="card" id="snapshots" aria-labelledby="snapshots-title">
      <div className="card-header">
        <div>
          <h2 id="snapshots-title">Snapshots</h2>
          <p>
            DigitalOcean images with Docker, nginx and the agent installed: servers made from one are ready in a minute
            instead of several.
          </p>
        </div>
        {visible.length > 0 && createButton}
      </div>
      {visible.length > 0 && connectFirst && <div className="card-body">{connectFirst}</div>}
      <DataTable
        label="Snapshots"
        columns={columns}
        rows={visible}
        rowKey={(snapshot) => snapshot.id}
        rowAttributes={(snapshot) => ({ 'data-snapshot': snapshot.id })}
        actions={(snapshot) =>
          // A build in progress cannot be deleted (the API refuses): it ends ready or failed first.
          can('deleteSnapshot') &&
          (snapshot.status === 'ready' || snapshot.status === 'failed') && <DeleteSnapshotButton snapshot={snapshot} />
        }
        paging={paging}
        empty={
          <EmptyState
            icon="◫"
            title="No snapshots yet"
            action={
              mayCreate && (
                <>
                  {createButton}
                  {connectFirst}
                </>
              )
            }
            readOnlyNote="Your role can view snapshots; a member, admin or owner can build them."
          >
            <p>
              {connected === false
                ? 'Connect DigitalOcean first, then build a snapshot in the region your servers will run in.'
                : 'Build a snapshot in the region your DigitalOcean servers will run in, then pick it when you provision a server there.'}
            </p>
          </EmptyState>
        }
      />
      <Dialog open={creating} title="Build a snapshot" onClose={() => setCreating(false)}>
        <CreateSnapshotForm
          onDone={(region) => {
            setCreating(false);
            toast.success(`A snapshot is being built in ${region}; its progress follows here.`);
          }}
          onCancel={() => setCreating(false)}
        />
      </Dialog>
    </section>
  );
}

/** Where a build is: its four steps, those done marked and the current one highlighted. */
function SnapshotProgress({ snapshot }: { snapshot: SnapshotView }) {
  if (snapshot.status !== 'building' || !snapshot.step) return null;
  const at = SNAPSHOT_STEPS.findIndex((item) => item.step === snapshot.step);
  const label = `Step ${at + 1} of ${SNAPSHOT_STEPS.length}: ${stepLabel(snapshot.step)}`;
  return (
    <div className="small-text" role="group" aria-label={label} title={label}>
      <span className="step-track">
        {SNAPSHOT_STEPS.map((item, index) => (
          <span
            key={item.step}
            data-done={index < at ? 'true' : undefined}
            aria-current={index === at ? 'step' : undefined}
          >
            {item.label}
          </span>
        ))}
      </span>
    </div>
  );
}

function CreateSnapshotForm({ onDone, onCancel }: { onDone: (region: string) => void; onCancel: () => void }) {
  const { api } = useSession();
  const reportFailure = useFailureReporter();
  const form = useRef<HTMLFormElement>(null);
  const [regions, setRegions] = useState<Region[]>();
  const [sizes, setSizes] = useState<Size[]>([]);
  const [region, setRegion] = useState('');
  const [catalogError, setCatalogError] = useState<string>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  useFocusOnFieldErrors(form, errors);

  useEffect(() => {
    let current = true;
    Promise.all([api.listRegions('digitalocean'), api.listSizes('digitalocean')]).then(
      ([nextRegions, nextSizes]) => {
        if (!current) return;
        setRegions(nextRegions.items);
        setSizes(nextSizes.items);
        setRegion(nextRegions.items.find((item) => item.available)?.slug ?? '');
      },
      (error: unknown) => {
        if (!current) return;
        setRegions([]);
        setCatalogError(error instanceof ApiRequestError ? sentence(error.message) : String(error));
      },
    );
    return () => {
      current = false;
    };
  }, [api]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const chosen = formText(data, 'region');
    setPending(true);
    setErrors({});
    try {
      await api.createSnapshot({ provider: 'digitalocean', region: chosen, size: formText(data, 'size') || undefined });
      onDone(chosen);
    } catch (error) {
      setPending(false);
      if (error instanceof ApiRequestError && error.code === 'validation_failed' && error.fieldIssues.length > 0)
        setErrors(issuesByField(error.fieldIssues));
      else reportFailure(error);
    }
  }

  if (regions === undefined) {
    return (
      <p className="muted" role="status">
        Loading DigitalOcean&apos;s regions and sizes…
      </p>
    );
  }
  const sizesHere = sizesIn(sizes, region).sort((a, b) => a.priceMonthly - b.priceMonthly);
  return (
    <form ref={form} className="form" onSubmit={(event) => void submit(event)} noValidate>
      <p>
        A small builder droplet starts in the region, installs Docker, nginx and the agent, and is imaged; then it is
        removed. It takes a few minutes and costs a few cents.
      </p>
      {catalogError && <CatalogProblem message={catalogError} />}
      <div className="form-row">
        <RegionField regions={regions} region={region} onChange={setRegion} error={errors.region} autoFocus />
        <SizeField
          label="Builder size"
          sizes={sizesHere}
          error={errors.size}
          hint="Only for building; the snapshot works for any size."
        >
          <option value="">Smallest in the region</option>
        </SizeField>
      </div>
      <FormActions
        onCancel={onCancel}
        pending={pending}
        submitLabel="Build snapshot"
        pendingLabel="Starting…"
        disabled={regions.length === 0}
      />
    </form>
  );
}

function DeleteSnapshotButton({ snapshot }: { snapshot: SnapshotView }) {
  const { api } = useSession();
  const toast = useToast();
  return (
    <ConfirmButton
      label="Delete"
      accessibleLabel={`Delete ${snapshot.name}`}
      title={`Delete “${snapshot.name}”?`}
      description={
        <>
          The snapshot <strong>{snapshot.name}</strong>
          {snapshot.providerSnapshotId ? ` (DigitalOcean image ${snapshot.providerSnapshotId})` : ''} is deleted
          {snapshot.providerSnapshotId ? ' from DigitalOcean' : ''}. Servers already made from it keep running; new ones
          can no longer start from it.
        </>
      }
      confirmLabel="Delete snapshot"
      onConfirm={async () => {
        await api.deleteSnapshot(snapshot.id);
        toast.success(`Snapshot “${snapshot.name}” is being deleted.`);
      }}
    />
  );
}
