'use client';

import type { DeploymentView } from '@platform/contracts';
import type { Route } from 'next';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { ConfirmButton } from '../../../components/confirm-button';
import { DeploymentStatusBadge } from '../../../components/deployment-progress';
import { EmptyState } from '../../../components/empty-state';
import { usePagedList } from '../../../components/paged-list';
import { DataTable } from '../../../components/data-table';
import { useEventListener } from '../../../components/live-events';
import { useFailureReporter, useSession } from '../../../components/session-context';
import { TimeAgo } from '../../../components/time-ago';
import { useToast } from '../../../components/toasts';
import type { ApiResponse } from '../../../lib/api';
import type { ServiceChoice } from '../../../lib/catalog';
import { applyDeploymentEvent, DEPLOYMENT_EVENT_TYPES, formatDuration } from '../../../lib/deployments';

export function DeploymentList(props: {
  firstPage: ApiResponse<'listDeployments'>;
  pageSize: number;
  serviceId?: string;
  services: ServiceChoice[];
  people: Record<string, string>;
}) {
  const { api, can, me } = useSession();
  const router = useRouter();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const { items, setItems, paging } = usePagedList<DeploymentView>(
    props.firstPage,
    (cursor) => api.listDeployments({ limit: props.pageSize, cursor, serviceId: props.serviceId }),
    reportFailure,
  );
  const [interactive, setInteractive] = useState(false);
  useEffect(() => setInteractive(true), []);

  // Which deployment each service runs now: from the page's data, then from each success as it happens.
  const [currentOf, setCurrentOf] = useState<Readonly<Record<string, string | null>>>(() =>
    Object.fromEntries(props.services.map((service) => [service.id, service.currentDeploymentId])),
  );

  useEventListener((event) => {
    if (!DEPLOYMENT_EVENT_TYPES.includes(event.type as (typeof DEPLOYMENT_EVENT_TYPES)[number])) return;
    setItems((current) => applyDeploymentEvent(current, event, props.serviceId));
    if (event.type === 'DeploymentSucceeded') {
      const deploymentId = (event.data as { deploymentId: string }).deploymentId;
      const serviceOf = items.find((item) => item.id === deploymentId)?.serviceId;
      if (serviceOf) setCurrentOf((current) => ({ ...current, [serviceOf]: deploymentId }));
    }
  });

  const services = new Map(props.services.map((service) => [service.id, service]));
  const isCurrent = (deployment: DeploymentView) => currentOf[deployment.serviceId] === deployment.id;
  const who = (id: string) => (id === me.user.id ? 'you' : (props.people[id] ?? id.slice(0, 8)));

  const firstDeployLink = can('createDeployment') && (
    <Link href="/deploy" className="button primary">
      Deploy a service
    </Link>
  );

  async function rollback(deployment: DeploymentView) {
    const { deploymentId } = await api.rollbackDeployment(deployment.id);
    toast.success(`Rolling back to ${deployment.imageTag}: deployment ${deploymentId.slice(0, 8)} started.`);
  }

  return (
    <div className="stack" data-interactive={interactive ? 'true' : undefined}>
      <div className="actions">
        <label className="field inline-field">
          <span>Service</span>
          <select
            aria-label="Service"
            value={props.serviceId ?? ''}
            onChange={(event) =>
              router.push(event.target.value ? `/deployments?serviceId=${event.target.value}` : '/deployments')
            }
          >
            <option value="">All services</option>
            {props.services.map((service) => (
              <option key={service.id} value={service.id}>
                {service.projectName} / {service.name}
              </option>
            ))}
          </select>
        </label>
        {can('createDeployment') && (
          <Link href={props.serviceId ? `/deploy?serviceId=${props.serviceId}` : '/deploy'} className="button primary">
            Deploy
          </Link>
        )}
      </div>
      <div className="card">
        <DataTable
          label="Deployment history"
          columns={[
            {
              header: 'Deployment',
              cell: (deployment) => (
                <>
                  <Link href={`/deployments/${deployment.id}` as Route}>{deployment.id.slice(0, 8)}</Link>
                  {deployment.rollbackOf && (
                    <span className="badge accent">rollback of {deployment.rollbackOf.slice(0, 8)}</span>
                  )}
                </>
              ),
            },
            { header: 'Status', cell: (deployment) => <DeploymentStatusBadge status={deployment.status} /> },
            {
              header: 'Service',
              cell: (deployment) => services.get(deployment.serviceId)?.name ?? deployment.serviceId.slice(0, 8),
            },
            {
              header: 'Image tag',
              className: 'mono',
              cell: (deployment) => (
                <>
                  {deployment.imageTag}
                  {isCurrent(deployment) && <span className="badge success">current</span>}
                </>
              ),
            },
            { header: 'Who', cell: (deployment) => who(deployment.requestedBy) },
            { header: 'When', cell: (deployment) => <TimeAgo iso={deployment.requestedAt} /> },
            { header: 'Duration', cell: (deployment) => formatDuration(deployment.durationMs) },
          ]}
          rows={items}
          rowKey={(deployment) => deployment.id}
          rowAttributes={(deployment) => ({ 'data-deployment': deployment.id })}
          actions={(deployment) =>
            can('rollbackDeployment') &&
            deployment.status === 'succeeded' &&
            !isCurrent(deployment) && (
              <ConfirmButton
                label="Roll back"
                className="button small"
                accessibleLabel={`Roll back to ${deployment.imageTag}`}
                title={`Roll back to ${deployment.imageTag}?`}
                description={
                  <>
                    A new deployment runs this exact image again, with its environment as it was, on its{' '}
                    {deployment.servers.length} server{deployment.servers.length === 1 ? '' : 's'}, with zero downtime.
                  </>
                }
                confirmLabel="Roll back"
                onConfirm={() => rollback(deployment)}
              />
            )
          }
          paging={paging}
          empty={
            <EmptyState icon="↺" title="No deployments yet" action={firstDeployLink}>
              <p>Every deployment shows here with its status, image tag, who started it and how long it took.</p>
            </EmptyState>
          }
        />
      </div>
    </div>
  );
}
