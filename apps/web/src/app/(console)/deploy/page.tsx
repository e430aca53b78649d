import type { Metadata } from 'next';
import Link from 'next/link';
import { ApiErrorNotice } from '../../../components/api-error-notice';
import { EmptyState } from '../../../components/empty-state';
import { PageHeader } from '../../../components/page-header';
import { settle } from '../../../lib/api';
import { loadServices } from '../../../lib/catalog';
import { mayCall, serverApi } from '../../../lib/session';
import { DeployForm } from './deploy-form';

export const metadata: Metadata = { title: 'Deploy' };

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export default async function DeployPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  const api = await serverApi();
  const [catalog, servers, configs, canDeploy] = await Promise.all([
    loadServices(api),
    settle(api.listServers({ limit: 200 })),
    settle(api.listDeployConfigs({ limit: 100 })),
    mayCall('createDeployment'),
  ]);
  const header = (
    <PageHeader
      title="Deploy"
      description="Ship a version of a service to your servers with zero downtime, and watch it live."
    />
  );
  if (catalog.error) {
    return (
      <>
        {header}
        <ApiErrorNotice error={catalog.error} what="the services" />
      </>
    );
  }
  if (!servers.ok) {
    return (
      <>
        {header}
        <ApiErrorNotice error={servers.error} what="the servers" />
      </>
    );
  }
  if (!canDeploy) {
    return (
      <>
        {header}
        <p className="notice">Your role can view deployments; a member, admin or owner can deploy.</p>
      </>
    );
  }
  const missing =
    catalog.services.length === 0
      ? { what: 'service', href: '/projects' as const, label: 'Create a project and a service' }
      : servers.value.items.length === 0
        ? { what: 'server', href: '/infrastructure' as const, label: 'Provision a server' }
        : undefined;
  return (
    <>
      {header}
      {missing ? (
        <div className="card">
          <EmptyState
            icon="▲"
            title={`No ${missing.what} to deploy ${missing.what === 'server' ? 'to' : ''} yet`}
            action={
              <Link href={missing.href} className="button primary">
                {missing.label}
              </Link>
            }
          >
            <p>A deployment takes a service (what runs: port, health check, environment) to one or more servers.</p>
          </EmptyState>
        </div>
      ) : (
        <DeployForm
          services={catalog.services}
          servers={servers.value.items}
          configs={configs.ok ? configs.value.items : []}
          initialConfigId={single(query.config)}
          initialServiceId={single(query.serviceId)}
        />
      )}
    </>
  );
}
