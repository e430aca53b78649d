import type { AuditEntryView } from '@platform/contracts';
import type { Metadata, Route } from 'next';
import Link from 'next/link';
import { ApiErrorNotice } from '../../../../components/api-error-notice';
import { DataTable, type Column } from '../../../../components/data-table';
import { EmptyState } from '../../../../components/empty-state';
import { TimeAgo } from '../../../../components/time-ago';
import { humanizeType } from '../../../../lib/activity';
import { settle } from '../../../../lib/api';
import { serverApi } from '../../../../lib/session';

export const metadata: Metadata = { title: 'Audit log' };

const columns: readonly Column<AuditEntryView>[] = [
  { header: 'Action', cell: (entry) => humanizeType(entry.action) },
  {
    header: 'By',
    cell: (entry) => (entry.actor.kind === 'api_token' ? `API token “${entry.actor.name}”` : entry.actor.name),
  },
  {
    header: 'On',
    cell: (entry) =>
      entry.resource ? (
        <span className="mono">
          {entry.resource.type} {entry.resource.id}
        </span>
      ) : (
        '—'
      ),
  },
  { header: 'From', cell: (entry) => <span className="mono">{entry.ip ?? '—'}</span> },
  { header: 'When', cell: (entry) => <TimeAgo iso={entry.occurredAt} /> },
];

/** One value of a search parameter, or none when it is absent or empty. */
function single(value: string | string[] | undefined): string | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text || undefined;
}

/** Who changed what in this workspace (owners and admins): the API's audit log, newest first, filtered. */
export default async function AuditPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const filters = { actor: single(params.actor), action: single(params.action), resourceId: single(params.resource) };
  const page = await settle((await serverApi()).listAudit({ ...filters, cursor: single(params.cursor), limit: 50 }));
  if (!page.ok) return <ApiErrorNotice error={page.error} what="the audit log" />;
  const shownFilters = Object.entries({ actor: filters.actor, action: filters.action, resource: filters.resourceId });
  const next =
    page.value.nextCursor &&
    `/settings/audit?${new URLSearchParams([
      ...shownFilters.flatMap(([name, value]) => (value === undefined ? [] : [[name, value]])),
      ['cursor', page.value.nextCursor],
    ]).toString()}`;
  return (
    <section className="card">
      <form className="filters" method="get" aria-label="Filter the audit log">
        <label>
          By
          <input name="actor" defaultValue={filters.actor ?? ''} placeholder="an email or a token's name" />
        </label>
        <label>
          Action
          <input name="action" defaultValue={filters.action ?? ''} placeholder="createDeployment" />
        </label>
        <label>
          Resource id
          <input name="resource" defaultValue={filters.resourceId ?? ''} />
        </label>
        <button type="submit" className="button small">
          Filter
        </button>
      </form>
      <DataTable
        label="Audit log"
        columns={columns}
        rows={page.value.items}
        rowKey={(entry) => entry.id}
        empty={
          <EmptyState icon="≡" title="No changes recorded">
            <p>Every change a person or an API token makes in this workspace is recorded here.</p>
          </EmptyState>
        }
      />
      {next && (
        <p>
          <Link className="button small" href={next as Route}>
            Older entries
          </Link>
        </p>
      )}
    </section>
  );
}
