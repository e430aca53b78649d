'use client';

import type { DeployConfigView } from '@platform/contracts';
import type { Route } from 'next';
import Link from 'next/link';
import { ConfirmButton } from '../../../components/confirm-button';
import { EmptyState } from '../../../components/empty-state';
import { usePagedList } from '../../../components/paged-list';
import { DataTable, type Column } from '../../../components/data-table';
import { useEventListener } from '../../../components/live-events';
import { useFailureReporter, useSession } from '../../../components/session-context';
import { TimeAgo } from '../../../components/time-ago';
import { useToast } from '../../../components/toasts';
import type { ApiResponse } from '../../../lib/api';
import { applyDeployConfigEvent } from '../../../lib/deploy-configs';
import { SourceSummary } from './source-summary';

const columns: readonly Column<DeployConfigView>[] = [
  { header: 'Name', cell: (config) => <Link href={`/deploy-configs/${config.id}` as Route}>{config.name}</Link> },
  { header: 'Source', cell: (config) => <SourceSummary source={config.source} /> },
  { header: 'Servers', cell: (config) => config.serverIds.length },
  { header: 'Updated', cell: (config) => <TimeAgo iso={config.updatedAt} /> },
];

export function DeployConfigList({
  firstPage,
  pageSize,
}: {
  firstPage: ApiResponse<'listDeployConfigs'>;
  pageSize: number;
}) {
  const { api, can } = useSession();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const { items, setItems, paging } = usePagedList<DeployConfigView>(
    firstPage,
    (cursor) => api.listDeployConfigs({ limit: pageSize, cursor }),
    reportFailure,
  );

  useEventListener((event) => setItems((current) => applyDeployConfigEvent(current, event)));

  async function remove(config: DeployConfigView) {
    await api.deleteDeployConfig(config.id);
    setItems((current) => current.filter((item) => item.id !== config.id));
    toast.success(`Deploy config “${config.name}” deleted.`);
  }

  return (
    <div className="card">
      <DataTable
        columns={columns}
        rows={items}
        rowKey={(config) => config.id}
        actions={(config) => (
          <>
            {can('updateDeployConfig') && (
              <Link
                href={`/deploy-configs/${config.id}` as Route}
                className="button small"
                aria-label={`Edit ${config.name}`}
              >
                Edit
              </Link>
            )}
            {can('deleteDeployConfig') && (
              <ConfirmButton
                label="Delete"
                accessibleLabel={`Delete ${config.name}`}
                title={`Delete “${config.name}”?`}
                description="The saved settings are removed. Deployments made from them are not affected."
                confirmLabel="Delete deploy config"
                onConfirm={() => remove(config)}
              />
            )}
          </>
        )}
        paging={paging}
        empty={
          <EmptyState
            icon="⇪"
            title="No deploy configs yet"
            action={
              can('createDeployConfig') && (
                <Link href="/deploy-configs/new" className="button primary">
                  Create your first deploy config
                </Link>
              )
            }
            readOnlyNote="Your role can view deploy configs; a member, admin or owner can create them."
          >
            <p>
              A deploy config remembers what to deploy (an image, a git repository or an uploaded archive) and where
              (which servers), so a deployment is one click away.
            </p>
          </EmptyState>
        }
      />
    </div>
  );
}
