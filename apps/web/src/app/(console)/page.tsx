import type { DeploymentView } from '@platform/contracts';
import type { Metadata, Route } from 'next';
import Link from 'next/link';
import { ActivityFeed } from '../../components/activity-feed';
import { ApiErrorNotice } from '../../components/api-error-notice';
import { DataTable, type Column } from '../../components/data-table';
import { EmptyState } from '../../components/empty-state';
import { PageHeader } from '../../components/page-header';
import { RefreshOn } from '../../components/refresh-on';
import { TimeAgo } from '../../components/time-ago';
import { settle, type ApiClient } from '../../lib/api';
import { loadServices } from '../../lib/catalog';
import { serviceOverview, type ServiceOverview } from '../../lib/overview';
import { getSession, serverApi } from '../../lib/session';

export const metadata: Metadata = { title: 'Overview' };

const steps = [
  {
    title: 'Save a deploy config',
    text: 'The image or repository of a service and the servers it runs on, saved to deploy again in one click.',
    href: '/deploy-configs/new',
    action: 'New deploy config',
  },
  {
    title: 'Invite your team',
    text: 'Add people who have signed up, as admins, members or read-only viewers.',
    href: '/settings/members',
    action: 'Members',
  },
  {
    title: 'Create an API token',
    text: 'For CI and scripts: a token with only the scopes the job needs.',
    href: '/settings/tokens',
    action: 'API tokens',
  },
  {
    title: 'Provision a server',
    text: 'On this machine, or on DigitalOcean once its token is saved under Settings → Cloud providers.',
    href: '/infrastructure',
    action: 'Servers',
  },
] as const;

/** What changes a row of the services table. */
const REFRESH_ON = [
  'ServiceCreated',
  'DeploymentRequested',
  'DeploymentSucceeded',
  'DeploymentFailed',
  'ServerReady',
  'ServerDestroyed',
];

const columns: readonly Column<ServiceOverview>[] = [
  {
    header: 'Service',
    cell: (service) => (
      <>
        <span className="muted">{service.projectName} / </span>
        {service.name}
      </>
    ),
  },
  {
    header: 'Status',
    cell: (service) => (
      <span
        className={`badge ${service.status.tone}`}
        aria-label={`Status of ${service.name}: ${service.status.label}`}
      >
        {service.status.label}
      </span>
    ),
  },
  {
    header: 'URL',
    cell: (service) =>
      service.url ? (
        <a href={service.url} target="_blank" rel="noreferrer" className="mono">
          {service.url}
        </a>
      ) : (
        <span className="muted">not deployed yet</span>
      ),
  },
  {
    header: 'Deployed',
    cell: ({ current }) =>
      current ? (
        <>
          <Link href={`/deployments/${current.id}` as Route} className="mono">
            {current.imageTag}
          </Link>
          <span className="muted small-text">
            {' · '}
            <TimeAgo iso={current.finishedAt ?? current.requestedAt} />
          </span>
        </>
      ) : (
        <span className="muted">—</span>
      ),
  },
  {
    header: 'Servers',
    cell: (service) => (service.servers.length > 0 ? service.servers.join(', ') : <span className="muted">—</span>),
  },
];

/**
 * The workspace's recent deployments (newest first), and the current deployment of each service that is not
 * among them: an old version can still be the one running.
 */
async function loadDeployments(api: ApiClient, currentIds: readonly string[]): Promise<readonly DeploymentView[]> {
  const recent = await settle(api.listDeployments({ limit: 100 }));
  const known = recent.ok ? recent.value.items : [];
  const older = await Promise.all(
    currentIds
      .filter((id) => !known.some((deployment) => deployment.id === id))
      .map(async (id) => {
        const deployment = await settle(api.getDeployment(id));
        return deployment.ok ? [deployment.value] : [];
      }),
  );
  return [...known, ...older.flat()];
}

export default async function OverviewPage() {
  const session = await getSession();
  const workspaceName = session.ok ? session.value.me.workspace.name : 'your workspace';
  const api = await serverApi();
  const [catalog, servers, recentEvents] = await Promise.all([
    loadServices(api),
    settle(api.listServers({ limit: 200 })),
    settle(api.listEventHistory({ limit: 6 })),
  ]);
  const deployments = await loadDeployments(
    api,
    catalog.services.flatMap((service) => service.currentDeploymentId ?? []),
  );
  const serverNames = new Map(servers.ok ? servers.value.items.map((server) => [server.id, server.name]) : []);
  const services = catalog.services.map((service) => serviceOverview(service, deployments, serverNames));
  const empty = !catalog.error && services.length === 0 && servers.ok && servers.value.items.length === 0;

  return (
    <>
      <PageHeader title={workspaceName} description="Where things stand, and what to do next." />
      <RefreshOn eventTypes={REFRESH_ON} />
      <div className="stack">
        {catalog.error ? (
          <ApiErrorNotice error={catalog.error} what="the services" />
        ) : (
          !empty && (
            <section className="card" aria-labelledby="services-title">
              <div className="card-header">
                <h2 id="services-title">Services</h2>
                <Link href="/deployments">All deployments →</Link>
              </div>
              <DataTable
                label="Services"
                columns={columns}
                rows={services}
                rowKey={(service) => service.id}
                rowAttributes={(service) => ({ 'data-service': service.name })}
                empty={
                  <EmptyState icon="◆" title="No services yet" action={<Link href="/projects">Create one →</Link>}>
                    <p>A service is what you deploy to your servers: create a project, then a service in it.</p>
                  </EmptyState>
                }
              />
            </section>
          )
        )}
        <div className="grid-2">
          {empty && (
            <section className="card" aria-labelledby="getting-started">
              <div className="card-header">
                <h2 id="getting-started">Getting started</h2>
              </div>
              <ol className="feed">
                {steps.map((step) => (
                  <li key={step.title}>
                    <span className="event-title">{step.title}</span>
                    <Link href={step.href}>{step.action} →</Link>
                    <span className="event-meta">{step.text}</span>
                  </li>
                ))}
              </ol>
            </section>
          )}
          <section className="card" aria-labelledby="recent-activity">
            <div className="card-header">
              <h2 id="recent-activity">Recent activity</h2>
              <Link href="/activity">All activity →</Link>
            </div>
            <ActivityFeed limit={6} past={recentEvents.ok ? recentEvents.value : undefined} />
          </section>
        </div>
      </div>
    </>
  );
}
