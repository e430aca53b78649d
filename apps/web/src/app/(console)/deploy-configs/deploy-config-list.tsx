'use client';

import type { DeployConfigView } from '@platform/contracts';
import type { Route } from 'next';
import Link from 'next/link';
import { ConfirmButton } from '../../../components/confirm-button';
import { EmptyState } from '../../../components/empty-state';
import { LoadMore, usePagedList } from '../../../components/paged-list';
import { useEventListener } from '../../../components/live-events';
import { useFailureReporter, useSession } from '../../../components/session-context';
import { TimeAgo } from '../../../components/time-ago';
import { useToast } from '../../../components/toasts';
import type { ApiResponse } from '../../../lib/api';
import { applyDeployConfigEvent } from '../../../lib/deploy-configs';
import { SourceSummary } from './source-summary';

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
  const { items, setItems, nextCursor, loadingMore, loadMore } = usePagedList<DeployConfigView>(
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

  if (items.length === 0) {
    return (
      <div className="card">
        <EmptyState
          icon="⇪"
          title="No deploy configs yet"
          action={
            can('createDeployConfig') ? (
              <Link href="/deploy-configs/new" className="button primary">
                Create your first deploy config
              </Link>
            ) : (
              <p className="muted">Your role can view deploy configs; a member, admin or owner can create them.</p>
            )
          }
        >
          <p>
            A deploy config remembers what to deploy (an image, a git repository or an uploaded archive) and where
            (which servers), so a deployment is one click away.
          </p>
        </EmptyState>
      </div>
    );
  }

  return (
    <div className="card">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Source</th>
            <th scope="col">Servers</th>
            <th scope="col">Updated</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((config) => (
            <tr key={config.id}>
              <td className="primary-cell" data-label="Name">
                <Link href={`/deploy-configs/${config.id}` as Route}>{config.name}</Link>
              </td>
              <td data-label="Source">
                <SourceSummary source={config.source} />
              </td>
              <td data-label="Servers">{config.serverIds.length}</td>
              <td data-label="Updated">
                <TimeAgo iso={config.updatedAt} />
              </td>
              <td className="cell-actions">
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
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore nextCursor={nextCursor} loadingMore={loadingMore} loadMore={loadMore} />
    </div>
  );
}
