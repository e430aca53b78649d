'use client';

import type { DeployConfigView } from '@platform/contracts';
import { useRouter } from 'next/navigation';
import { ConfirmButton } from '../../../../components/confirm-button';
import { PageHeader } from '../../../../components/page-header';
import { useSession } from '../../../../components/session-context';
import { TimeAgo } from '../../../../components/time-ago';
import { useToast } from '../../../../components/toasts';
import { waitForDeployConfig } from '../../../../lib/deploy-configs';
import { DeployConfigForm } from '../deploy-config-form';
import { SourceSummary } from '../source-summary';

/** One deploy config: the edit form for those who may edit, its settings read-only for the others. */
export function DeployConfigDetails({
  config,
  canEdit,
  canDelete,
}: {
  config: DeployConfigView;
  canEdit: boolean;
  canDelete: boolean;
}) {
  const { api } = useSession();
  const router = useRouter();
  const toast = useToast();

  async function remove() {
    await api.deleteDeployConfig(config.id);
    await waitForDeployConfig(api, config.id, (current) => current === undefined);
    toast.success(`Deploy config “${config.name}” deleted.`);
    router.push('/deploy-configs');
    router.refresh();
  }

  return (
    <>
      <PageHeader
        title={config.name}
        description={
          <>
            Version {config.version} · updated <TimeAgo iso={config.updatedAt} /> ·{' '}
            <span className="mono">{config.id}</span>
          </>
        }
        actions={
          canDelete && (
            <ConfirmButton
              label="Delete"
              className="button danger"
              title={`Delete “${config.name}”?`}
              description="The saved settings are removed. Deployments made from them are not affected."
              confirmLabel="Delete deploy config"
              onConfirm={remove}
            />
          )
        }
      />
      {canEdit ? (
        <DeployConfigForm existing={config} />
      ) : (
        <div className="card card-body">
          <dl className="definition">
            <dt>Service</dt>
            <dd className="mono">{config.serviceId}</dd>
            <dt>Source</dt>
            <dd>
              <SourceSummary source={config.source} />
            </dd>
            <dt>Servers</dt>
            <dd className="mono">{config.serverIds.join(', ')}</dd>
            <dt>Batch size</dt>
            <dd>{config.strategy?.batchSize ?? 1}</dd>
            <dt>Created</dt>
            <dd>
              <TimeAgo iso={config.createdAt} />
            </dd>
          </dl>
        </div>
      )}
    </>
  );
}
