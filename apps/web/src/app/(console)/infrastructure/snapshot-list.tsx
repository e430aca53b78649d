'use client';

import type { SnapshotView } from '@platform/contracts';
import Link from 'next/link';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Dialog } from '../../../components/dialog';
import { EmptyState } from '../../../components/empty-state';
import { formText, SelectField, useFocusOnFieldErrors } from '../../../components/fields';
import { useEventListener } from '../../../components/live-events';
import { LoadMore, usePagedList } from '../../../components/paged-list';
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
import { CatalogProblem, sizeLabel, type Region, type Size } from './catalog';

const PAGE_SIZE = 50;

/** Events after which the read model's view is worth asking for: the name and the agent check come from it. */
const RECONCILE_ON = new Set(['SnapshotRequested', 'SnapshotReady', 'SnapshotFailed', 'SnapshotDeleteFailed']);

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
  const { items, setItems, nextCursor, loadingMore, loadMore } = usePagedList<SnapshotView>(
    firstPage,
    (cursor) => api.listSnapshots({ limit: PAGE_SIZE, cursor }),
    reportFailure,
  );
  const [connected, setConnected] = useState(digitalOceanConnected);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<SnapshotView>();

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
      {visible.length === 0 ? (
        <EmptyState
          icon="◫"
          title="No snapshots yet"
          action={
            mayCreate ? (
              <>
                {createButton}
                {connectFirst}
              </>
            ) : (
              <p className="muted">Your role can view snapshots; a member, admin or owner can build them.</p>
            )
          }
        >
          <p>
            {connected === false
              ? 'Connect DigitalOcean first, then build a snapshot in the region your servers will run in.'
              : 'Build a snapshot in the region your DigitalOcean servers will run in, then pick it when you provision a server there.'}
          </p>
        </EmptyState>
      ) : (
        <table className="table" aria-label="Snapshots">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Region</th>
              <th scope="col">Size</th>
              <th scope="col">Agent</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {visible.map((snapshot) => (
              <tr key={snapshot.id} data-snapshot={snapshot.id}>
                <td className="primary-cell" data-label="Name">
                  {snapshot.name}
                  {snapshot.providerSnapshotId && (
                    <div className="muted small-text mono">image {snapshot.providerSnapshotId}</div>
                  )}
                </td>
                <td data-label="Status">
                  <span
                    className={`badge ${snapshotStatusTone[snapshot.status]}`}
                    aria-label={`Status of ${snapshot.name}: ${snapshot.status}`}
                  >
                    {snapshot.status}
                  </span>
                  <SnapshotProgress snapshot={snapshot} />
                  {snapshot.failureReason && (
                    <div className="small-text danger-text">{sentence(snapshot.failureReason)}</div>
                  )}
                </td>
                <td data-label="Region">
                  {snapshot.regions.length > 0 ? snapshot.regions.join(', ') : snapshot.region}
                </td>
                <td data-label="Size">{snapshot.sizeGb !== null ? `${snapshot.sizeGb} GB` : '—'}</td>
                <td data-label="Agent">
                  <span className="mono">{snapshot.agentVersion}</span>
                  {snapshot.agentOutdated && (
                    <span
                      className="badge warning"
                      title="Servers made from it start with an outdated agent: build a new snapshot."
                    >
                      outdated
                    </span>
                  )}
                </td>
                <td data-label="Created">
                  <TimeAgo iso={snapshot.createdAt} />
                </td>
                <td className="cell-actions">
                  {/* A build in progress cannot be deleted (the API refuses): it ends ready or failed first. */}
                  {can('deleteSnapshot') && (snapshot.status === 'ready' || snapshot.status === 'failed') && (
                    <button
                      type="button"
                      className="button small danger"
                      aria-label={`Delete ${snapshot.name}`}
                      onClick={() => setDeleting(snapshot)}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore nextCursor={nextCursor} loadingMore={loadingMore} loadMore={loadMore} />
      <Dialog open={creating} title="Build a snapshot" onClose={() => setCreating(false)}>
        <CreateSnapshotForm
          onDone={(region) => {
            setCreating(false);
            toast.success(`A snapshot is being built in ${region}; its progress follows here.`);
          }}
          onCancel={() => setCreating(false)}
        />
      </Dialog>
      <Dialog
        open={deleting !== undefined}
        title={`Delete “${deleting?.name ?? ''}”?`}
        onClose={() => setDeleting(undefined)}
      >
        {deleting && (
          <DeleteSnapshot
            snapshot={deleting}
            onDone={() => {
              toast.success(`Snapshot “${deleting.name}” is being deleted.`);
              setDeleting(undefined);
            }}
            onCancel={() => setDeleting(undefined)}
          />
        )}
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
  const sizesHere = sizes
    .filter((size) => size.regions.length === 0 || size.regions.includes(region))
    .sort((a, b) => a.priceMonthly - b.priceMonthly);
  return (
    <form ref={form} className="form" onSubmit={(event) => void submit(event)} noValidate>
      <p>
        A small builder droplet starts in the region, installs Docker, nginx and the agent, and is imaged; then it is
        removed. It takes a few minutes and costs a few cents.
      </p>
      {catalogError && <CatalogProblem message={catalogError} />}
      <div className="form-row">
        <SelectField
          label="Region"
          name="region"
          value={region}
          onChange={(event) => setRegion(event.target.value)}
          error={errors.region}
          autoFocus
        >
          {regions.map((item) => (
            <option key={item.slug} value={item.slug} disabled={!item.available}>
              {item.name} ({item.slug})
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Builder size"
          name="size"
          error={errors.size}
          hint="Only for building; the snapshot works for any size."
        >
          <option value="">Smallest in the region</option>
          {sizesHere.map((item) => (
            <option key={item.slug} value={item.slug}>
              {sizeLabel(item)}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={pending || regions.length === 0}>
          {pending ? 'Starting…' : 'Build snapshot'}
        </button>
      </div>
    </form>
  );
}

function DeleteSnapshot({
  snapshot,
  onDone,
  onCancel,
}: {
  snapshot: SnapshotView;
  onDone: () => void;
  onCancel: () => void;
}) {
  const { api } = useSession();
  const toast = useToast();
  const [pending, setPending] = useState(false);

  async function confirm() {
    setPending(true);
    try {
      await api.deleteSnapshot(snapshot.id);
      onDone();
    } catch (error) {
      setPending(false);
      toast.error(error);
    }
  }

  return (
    <>
      <p>
        The snapshot <strong>{snapshot.name}</strong>
        {snapshot.providerSnapshotId ? ` (DigitalOcean image ${snapshot.providerSnapshotId})` : ''} is deleted
        {snapshot.providerSnapshotId ? ' from DigitalOcean' : ''}. Servers already made from it keep running; new ones
        can no longer start from it.
      </p>
      <div className="form-actions">
        <button type="button" className="button" disabled={pending} autoFocus onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button danger solid" disabled={pending} onClick={() => void confirm()}>
          {pending ? 'Deleting…' : 'Delete snapshot'}
        </button>
      </div>
    </>
  );
}
