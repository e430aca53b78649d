import type { Metadata } from 'next';
import Link from 'next/link';
import { ApiErrorNotice } from '../../../../components/api-error-notice';
import { PageHeader } from '../../../../components/page-header';
import { settle } from '../../../../lib/api';
import { loadPeople } from '../../../../lib/catalog';
import { getSession, serverApi } from '../../../../lib/session';
import { DeploymentDetails } from './deployment-details';

export const metadata: Metadata = { title: 'Deployment' };

export default async function DeploymentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const api = await serverApi();
  const session = await getSession();
  const [deployment, logs, servers] = await Promise.all([
    settle(api.getDeployment(id)),
    settle(api.getDeploymentLogs(id)),
    settle(api.listServers({ limit: 200 })),
  ]);
  const header = (
    <PageHeader
      title={`Deployment ${id.slice(0, 8)}`}
      description={
        <>
          <Link href="/deployments">← All deployments</Link>
        </>
      }
    />
  );
  if (!deployment.ok) {
    return (
      <>
        {header}
        <ApiErrorNotice error={deployment.error} what="the deployment" />
      </>
    );
  }
  const [service, people] = await Promise.all([
    settle(api.getService(deployment.value.serviceId)),
    session.ok ? loadPeople(api, session.value.me.workspace.id) : {},
  ]);
  return (
    <>
      {header}
      <DeploymentDetails
        initial={deployment.value}
        initialLog={logs.ok ? logs.value.lines : []}
        logError={logs.ok ? undefined : logs.error.message}
        service={
          service.ok
            ? { name: service.value.name, hostname: service.value.hostname, url: service.value.url }
            : undefined
        }
        serverNames={
          servers.ok ? Object.fromEntries(servers.value.items.map((server) => [server.id, server.name])) : {}
        }
        people={people}
      />
    </>
  );
}
