'use client';

import type { Provider, ServerView, SnapshotView } from '@platform/contracts';
import Link from 'next/link';
import { useRef, useState, type FormEvent } from 'react';
import { Dialog } from '../../../components/dialog';
import { EmptyState } from '../../../components/empty-state';
import { LoadMore, usePagedList } from '../../../components/paged-list';
import { formText, SelectField, TextField, useFocusOnFieldErrors } from '../../../components/fields';
import { useEventListener } from '../../../components/live-events';
import { useFailureReporter, useSession } from '../../../components/session-context';
import { TimeAgo } from '../../../components/time-ago';
import { useToast } from '../../../components/toasts';
import { ApiRequestError, issuesByField, type ApiResponse } from '../../../lib/api';
import { sentence } from '../../../lib/format';
import { applyServerEvent, SERVER_EVENT_TYPES } from '../../../lib/servers';
import { snapshotsForRegion } from '../../../lib/snapshots';
import { CatalogProblem, sizeLabel, type Region, type Size } from './catalog';

const statusTone: Record<ServerView['status'], string> = {
  provisioning: 'accent',
  booting: 'accent',
  ready: 'success',
  failed: 'danger',
  destroying: 'warning',
  destroyed: 'warning',
};

export function ServerList({
  firstPage,
  localRegions,
  localSizes,
}: {
  firstPage: ApiResponse<'listServers'>;
  localRegions: Region[];
  localSizes: Size[];
}) {
  const { api, can } = useSession();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const { items, setItems, nextCursor, loadingMore, loadMore } = usePagedList<ServerView>(
    firstPage,
    (cursor) => api.listServers({ limit: 200, cursor }),
    reportFailure,
  );
  const [provisioning, setProvisioning] = useState(false);
  const [deleting, setDeleting] = useState<ServerView>();

  // The expected agent version comes from the API; a list that started empty learns it from the first server.
  const expected = useRef(firstPage.items[0]?.expectedAgentVersion);
  useEventListener((event) => {
    if (!SERVER_EVENT_TYPES.includes(event.type as (typeof SERVER_EVENT_TYPES)[number])) return;
    setItems((current) => applyServerEvent(current, event, expected.current));
    const serverId = (event.data as { serverId: string }).serverId;
    if (event.type === 'ServerReady' && expected.current === undefined) {
      api.getServer(serverId).then(
        (server) => {
          expected.current = server.expectedAgentVersion;
          setItems((current) =>
            current.map((item) => ({
              ...item,
              expectedAgentVersion: server.expectedAgentVersion,
              agentOutdated: item.agentVersion !== null && item.agentVersion !== server.expectedAgentVersion,
            })),
          );
        },
        () => undefined,
      );
    }
  });

  const canProvision = can('provisionServer');
  const provisionButton = canProvision && (
    <button type="button" className="button primary" onClick={() => setProvisioning(true)}>
      Provision a server
    </button>
  );

  return (
    <>
      <div className="card">
        <div className="card-header">
          <h2>Servers</h2>
          {items.length > 0 && provisionButton}
        </div>
        {items.length === 0 ? (
          <EmptyState
            icon="▣"
            title="No servers yet"
            action={
              provisionButton || (
                <p className="muted">Your role can view servers; a member, admin or owner can provision them.</p>
              )
            }
          >
            <p>
              Provision a server first: deployments run on your servers. A “local” server runs on this machine, with
              Docker and nginx.
            </p>
          </EmptyState>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Provider</th>
                <th scope="col">Region</th>
                <th scope="col">Size</th>
                <th scope="col">IP</th>
                <th scope="col">Agent</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((server) => (
                <tr key={server.id} data-server={server.name}>
                  <td className="primary-cell" data-label="Name">
                    {server.name}
                    {!server.managed && <span className="badge warning">unmanaged</span>}
                  </td>
                  <td data-label="Status">
                    <span
                      className={`badge ${statusTone[server.status]}`}
                      aria-label={`Status of ${server.name}: ${server.status}`}
                    >
                      {server.status}
                    </span>
                    {server.failureReason && <div className="muted small-text">{sentence(server.failureReason)}</div>}
                  </td>
                  <td data-label="Provider">{server.provider}</td>
                  <td data-label="Region">{server.region}</td>
                  <td data-label="Size">{server.size}</td>
                  <td data-label="IP" className="mono">
                    {server.publicIp ?? '—'}
                  </td>
                  <td data-label="Agent">
                    {server.agentVersion ? <span className="mono">{server.agentVersion}</span> : '—'}
                    {server.agentOutdated && (
                      <span
                        className="badge warning"
                        title={`This platform expects ${server.expectedAgentVersion}: re-provision from a current snapshot.`}
                      >
                        outdated (expected {server.expectedAgentVersion})
                      </span>
                    )}
                  </td>
                  <td data-label="Created">
                    <TimeAgo iso={server.createdAt} />
                  </td>
                  <td className="cell-actions">
                    {can('destroyServer') && server.status !== 'destroying' && (
                      <button
                        type="button"
                        className="button small danger"
                        aria-label={`Delete ${server.name}`}
                        onClick={() => setDeleting(server)}
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
      </div>
      <Dialog open={provisioning} title="Provision a server" onClose={() => setProvisioning(false)}>
        <ProvisionForm
          localRegions={localRegions}
          localSizes={localSizes}
          onDone={(name) => {
            setProvisioning(false);
            toast.success(`Server “${name}” is being provisioned; its status follows here.`);
          }}
          onCancel={() => setProvisioning(false)}
        />
      </Dialog>
      <Dialog
        open={deleting !== undefined}
        title={`Delete “${deleting?.name ?? ''}”?`}
        onClose={() => setDeleting(undefined)}
      >
        {deleting && (
          <DeleteServer
            server={deleting}
            onDone={() => {
              toast.success(`Server “${deleting.name}” is being deleted.`);
              setDeleting(undefined);
            }}
            onCancel={() => setDeleting(undefined)}
          />
        )}
      </Dialog>
    </>
  );
}

function ProvisionForm({
  localRegions,
  localSizes,
  onDone,
  onCancel,
}: {
  localRegions: Region[];
  localSizes: Size[];
  onDone: (name: string) => void;
  onCancel: () => void;
}) {
  const { api } = useSession();
  const reportFailure = useFailureReporter();
  const form = useRef<HTMLFormElement>(null);
  const [provider, setProvider] = useState<Provider>('local');
  const [regions, setRegions] = useState(localRegions);
  const [sizes, setSizes] = useState(localSizes);
  const [region, setRegion] = useState(localRegions.find((item) => item.available)?.slug ?? '');
  const [catalogError, setCatalogError] = useState<string>();
  /** The workspace's snapshots, for a DigitalOcean server to start from (loaded when DigitalOcean is chosen). */
  const [snapshots, setSnapshots] = useState<readonly SnapshotView[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  useFocusOnFieldErrors(form, errors);

  async function chooseProvider(next: Provider) {
    setProvider(next);
    setCatalogError(undefined);
    setSnapshots([]);
    try {
      const [nextRegions, nextSizes, nextSnapshots] = await Promise.all([
        api.listRegions(next),
        api.listSizes(next),
        next === 'digitalocean' ? api.listSnapshots({ limit: 100 }).catch(() => ({ items: [] })) : { items: [] },
      ]);
      setRegions(nextRegions.items);
      setSizes(nextSizes.items);
      setSnapshots(nextSnapshots.items);
      setRegion(nextRegions.items.find((item) => item.available)?.slug ?? '');
    } catch (error) {
      setRegions([]);
      setSizes([]);
      setCatalogError(error instanceof ApiRequestError ? sentence(error.message) : String(error));
    }
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const name = formText(data, 'name').trim();
    setPending(true);
    setErrors({});
    try {
      await api.provisionServer({
        provider,
        name,
        region: formText(data, 'region') || undefined,
        size: formText(data, 'size') || undefined,
        snapshotId: provider === 'digitalocean' ? formText(data, 'snapshotId') || undefined : undefined,
      });
      onDone(name);
    } catch (error) {
      setPending(false);
      if (error instanceof ApiRequestError && error.code === 'validation_failed')
        setErrors(issuesByField(error.fieldIssues));
      else reportFailure(error);
    }
  }

  const sizesHere = sizes.filter((size) => size.regions.length === 0 || size.regions.includes(region));
  const snapshotsHere = snapshotsForRegion(snapshots, region);
  return (
    <form ref={form} className="form" onSubmit={(event) => void submit(event)} noValidate>
      <SelectField
        label="Provider"
        name="provider"
        value={provider}
        onChange={(event) => void chooseProvider(event.target.value as Provider)}
      >
        <option value="local">Local (this machine)</option>
        <option value="digitalocean">DigitalOcean</option>
      </SelectField>
      {catalogError && <CatalogProblem message={catalogError} />}
      <TextField
        label="Server name"
        name="name"
        required
        autoFocus
        maxLength={63}
        error={errors.name}
        hint="Letters, digits and dashes: “edge-1”."
      />
      <div className="form-row">
        <SelectField
          label="Region"
          name="region"
          value={region}
          onChange={(event) => setRegion(event.target.value)}
          error={errors.region}
        >
          {regions.map((item) => (
            <option key={item.slug} value={item.slug} disabled={!item.available}>
              {item.name} ({item.slug})
            </option>
          ))}
        </SelectField>
        <SelectField label="Size" name="size" error={errors.size}>
          {sizesHere.map((item) => (
            <option key={item.slug} value={item.slug}>
              {sizeLabel(item)}
            </option>
          ))}
        </SelectField>
      </div>
      {provider === 'digitalocean' && regions.length > 0 && (
        <SelectField
          // A new list of choices per region: the choice starts over at "none" when the region changes.
          key={region}
          label="Snapshot"
          name="snapshotId"
          defaultValue=""
          error={errors.snapshotId}
          hint={
            snapshotsHere.length > 0 ? (
              'A server made from a snapshot is ready in about a minute; without one it installs everything while it boots.'
            ) : (
              <>
                No ready snapshot in this region: the server installs everything while it boots.{' '}
                <Link href="/infrastructure#snapshots" onClick={onCancel}>
                  Build a snapshot
                </Link>{' '}
                to start servers faster.
              </>
            )
          }
        >
          <option value="">None: install while booting</option>
          {snapshotsHere.map((item) => (
            <option key={item.id} value={item.id}>
              {item.name}
              {item.agentOutdated ? ' (outdated agent)' : ''}
            </option>
          ))}
        </SelectField>
      )}
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={pending || regions.length === 0}>
          {pending ? 'Provisioning…' : 'Provision server'}
        </button>
      </div>
    </form>
  );
}

function DeleteServer({ server, onDone, onCancel }: { server: ServerView; onDone: () => void; onCancel: () => void }) {
  const { api } = useSession();
  const toast = useToast();
  const [force, setForce] = useState(false);
  const [pending, setPending] = useState(false);

  async function confirm() {
    setPending(true);
    try {
      await api.destroyServer(server.id, force);
      onDone();
    } catch (error) {
      setPending(false);
      toast.error(error);
    }
  }

  return (
    <>
      <p>
        The server <strong>{server.name}</strong> ({server.provider}, {server.region}
        {server.publicIp ? `, ${server.publicIp}` : ''}) and its cloud resources are destroyed. The applications running
        on it stop answering there.
      </p>
      <label className="choice">
        <input type="checkbox" checked={force} onChange={(event) => setForce(event.target.checked)} />
        Force: also delete the cloud server when the platform does not manage it (one it did not create, or lost track
        of)
      </label>
      {!server.managed && (
        <p className="muted">
          This server is not managed by the platform: without “Force” the API refuses to delete it.
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button" disabled={pending} autoFocus onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button danger solid" disabled={pending} onClick={() => void confirm()}>
          {pending ? 'Deleting…' : force ? 'Force delete server' : 'Delete server'}
        </button>
      </div>
    </>
  );
}
