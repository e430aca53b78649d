'use client';

import type { Provider, ServerView, SnapshotView } from '@platform/contracts';
import Link from 'next/link';
import { useRef, useState, type FormEvent } from 'react';
import { Dialog } from '../../../components/dialog';
import { EmptyState } from '../../../components/empty-state';
import { usePagedList } from '../../../components/paged-list';
import { ConfirmButton } from '../../../components/confirm-button';
import { DataTable, type Column } from '../../../components/data-table';
import { formText, SelectField, TextField, useFocusOnFieldErrors, FormActions } from '../../../components/fields';
import { useEventListener } from '../../../components/live-events';
import { useFailureReporter, useSession } from '../../../components/session-context';
import { TimeAgo } from '../../../components/time-ago';
import { useToast } from '../../../components/toasts';
import { ApiRequestError, issuesByField, type ApiResponse } from '../../../lib/api';
import { sentence } from '../../../lib/format';
import { applyServerEvent, SERVER_EVENT_TYPES } from '../../../lib/servers';
import { snapshotsForRegion } from '../../../lib/snapshots';
import { CatalogProblem, RegionField, SizeField, sizesIn, type Region, type Size } from './catalog';

const statusTone: Record<ServerView['status'], string> = {
  provisioning: 'accent',
  booting: 'accent',
  ready: 'success',
  failed: 'danger',
  destroying: 'warning',
  destroyed: 'warning',
};

const columns: readonly Column<ServerView>[] = [
  {
    header: 'Name',
    cell: (server) => (
      <>
        {server.name}
        {!server.managed && <span className="badge warning">unmanaged</span>}
      </>
    ),
  },
  {
    header: 'Status',
    cell: (server) => (
      <>
        <span
          className={`badge ${statusTone[server.status]}`}
          aria-label={`Status of ${server.name}: ${server.status}`}
        >
          {server.status}
        </span>
        {server.failureReason && <div className="muted small-text">{sentence(server.failureReason)}</div>}
      </>
    ),
  },
  { header: 'Provider', cell: (server) => server.provider },
  { header: 'Region', cell: (server) => server.region },
  { header: 'Size', cell: (server) => server.size },
  { header: 'IP', className: 'mono', cell: (server) => server.publicIp ?? '—' },
  {
    header: 'Agent',
    cell: (server) => (
      <>
        {server.agentVersion ? <span className="mono">{server.agentVersion}</span> : '—'}
        {server.agentOutdated && (
          <span
            className="badge warning"
            title={`This platform expects ${server.expectedAgentVersion}: re-provision from a current snapshot.`}
          >
            outdated (expected {server.expectedAgentVersion})
          </span>
        )}
      </>
    ),
  },
  { header: 'Created', cell: (server) => <TimeAgo iso={server.createdAt} /> },
];

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
  const { items, setItems, paging } = usePagedList<ServerView>(
    firstPage,
    (cursor) => api.listServers({ limit: 200, cursor }),
    reportFailure,
  );
  const [provisioning, setProvisioning] = useState(false);

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
        <DataTable
          columns={columns}
          rows={items}
          rowKey={(server) => server.id}
          rowAttributes={(server) => ({ 'data-server': server.name })}
          actions={(server) =>
            can('destroyServer') && server.status !== 'destroying' && <DeleteServerButton server={server} />
          }
          paging={paging}
          empty={
            <EmptyState
              icon="▣"
              title="No servers yet"
              action={provisionButton}
              readOnlyNote="Your role can view servers; a member, admin or owner can provision them."
            >
              <p>
                Provision a server first: deployments run on your servers. A “local” server runs on this machine, with
                Docker and nginx.
              </p>
            </EmptyState>
          }
        />
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

  const sizesHere = sizesIn(sizes, region);
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
        <RegionField regions={regions} region={region} onChange={setRegion} error={errors.region} />
        <SizeField label="Size" sizes={sizesHere} error={errors.size} />
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
      <FormActions
        onCancel={onCancel}
        pending={pending}
        submitLabel="Provision server"
        pendingLabel="Provisioning…"
        disabled={regions.length === 0}
      />
    </form>
  );
}

function DeleteServerButton({ server }: { server: ServerView }) {
  const { api } = useSession();
  const toast = useToast();
  const [force, setForce] = useState(false);

  return (
    <ConfirmButton
      label="Delete"
      accessibleLabel={`Delete ${server.name}`}
      title={`Delete “${server.name}”?`}
      description={
        <>
          The server <strong>{server.name}</strong> ({server.provider}, {server.region}
          {server.publicIp ? `, ${server.publicIp}` : ''}) and its cloud resources are destroyed. The applications
          running on it stop answering there.
        </>
      }
      confirmLabel={force ? 'Force delete server' : 'Delete server'}
      onOpen={() => setForce(false)}
      onConfirm={async () => {
        await api.destroyServer(server.id, force);
        toast.success(`Server “${server.name}” is being deleted.`);
      }}
    >
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
    </ConfirmButton>
  );
}
