'use client';

import type { DeploymentView } from '@platform/contracts';
import type { Route } from 'next';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { ConfirmButton } from '../../../components/confirm-button';
import { DeploymentStatusBadge } from '../../../components/deployment-progress';
import { EmptyState } from '../../../components/empty-state';
import { LoadMore, usePagedList } from '../../../components/paged-list';
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
  const { items, setItems, nextCursor, loadingMore, loadMore } = usePagedList<DeploymentView>(
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
  const who = (id: string) => (id === me.user.id ? 'you' : (props.people[id] ?? id.slice(0, 8)));

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
        {items.length === 0 ? (
          <EmptyState
            icon="↺"
            title="No deployments yet"
            action={
              can('createDeployment') && (
                <Link href="/deploy" className="button primary">
                  Deploy a service
                </Link>
              )
            }
          >
            <p>Every deployment shows here with its status, image tag, who started it and how long it took.</p>
          </EmptyState>
        ) : (
          <table className="table" aria-label="Deployment history">
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Status</th>
                <th scope="col">Service</th>
                <th scope="col">Image tag</th>
                <th scope="col">Who</th>
                <th scope="col">When</th>
                <th scope="col">Duration</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((deployment) => {
                const service = services.get(deployment.serviceId);
                const current = currentOf[deployment.serviceId] === deployment.id;
                return (
                  <tr key={deployment.id} data-deployment={deployment.id}>
                    <td className="primary-cell" data-label="Deployment">
                      <Link href={`/deployments/${deployment.id}` as Route}>{deployment.id.slice(0, 8)}</Link>
                      {deployment.rollbackOf && (
                        <span className="badge accent">rollback of {deployment.rollbackOf.slice(0, 8)}</span>
                      )}
                    </td>
                    <td data-label="Status">
                      <DeploymentStatusBadge status={deployment.status} />
                    </td>
                    <td data-label="Service">{service ? service.name : deployment.serviceId.slice(0, 8)}</td>
                    <td data-label="Image tag" className="mono">
                      {deployment.imageTag}
                      {current && <span className="badge success">current</span>}
                    </td>
                    <td data-label="Who">{who(deployment.requestedBy)}</td>
                    <td data-label="When">
                      <TimeAgo iso={deployment.requestedAt} />
                    </td>
                    <td data-label="Duration">{formatDuration(deployment.durationMs)}</td>
                    <td className="cell-actions">
                      {can('rollbackDeployment') && deployment.status === 'succeeded' && !current && (
                        <ConfirmButton
                          label="Roll back"
                          className="button small"
                          accessibleLabel={`Roll back to ${deployment.imageTag}`}
                          title={`Roll back to ${deployment.imageTag}?`}
                          description={
                            <>
                              A new deployment runs this exact image again, with its environment as it was, on its{' '}
                              {deployment.servers.length} server{deployment.servers.length === 1 ? '' : 's'}, with zero
                              downtime.
                            </>
                          }
                          confirmLabel="Roll back"
                          onConfirm={() => rollback(deployment)}
                        />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <LoadMore nextCursor={nextCursor} loadingMore={loadingMore} loadMore={loadMore} />
      </div>
    </div>
  );
}
