import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../components/api-error-notice';
import { PageHeader } from '../../../components/page-header';
import { settle } from '../../../lib/api';
import { loadPeople, loadServices } from '../../../lib/catalog';
import { getSession, serverApi } from '../../../lib/session';
import { DeploymentList } from './deployment-list';

export const metadata: Metadata = { title: 'Deployments' };

const PAGE_SIZE = 25;

export default async function DeploymentsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  const serviceId = typeof query.serviceId === 'string' && query.serviceId ? query.serviceId : undefined;
  const session = await getSession();
  const api = await serverApi();
  const [firstPage, catalog, people] = await Promise.all([
    settle(api.listDeployments({ limit: PAGE_SIZE, serviceId })),
    loadServices(api),
    session.ok ? loadPeople(api, session.value.me.workspace.id) : Promise.resolve({}),
  ]);
  return (
    <>
      <PageHeader
        title="Deployments"
        description="Every deployment, newest first, kept so any of them can be rolled back."
      />
      {firstPage.ok ? (
        <DeploymentList
          key={serviceId ?? 'all'}
          firstPage={firstPage.value}
          pageSize={PAGE_SIZE}
          serviceId={serviceId}
          services={catalog.services}
          people={people}
        />
      ) : (
        <ApiErrorNotice error={firstPage.error} what="the deployments" />
      )}
    </>
  );
}
