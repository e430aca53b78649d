import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../components/api-error-notice';
import { PageHeader } from '../../../components/page-header';
import { settle } from '../../../lib/api';
import { serverApi } from '../../../lib/session';
import { ServerList } from './server-list';

export const metadata: Metadata = { title: 'Infrastructure' };

export default async function InfrastructurePage() {
  const api = await serverApi();
  const [servers, regions, sizes] = await Promise.all([settle(api.listServers({ limit: 200 })), settle(api.listRegions('local')), settle(api.listSizes('local'))]);
  return (
    <>
      <PageHeader title="Infrastructure" description="The servers your applications run on. Status changes show here as they happen." />
      {servers.ok ? (
        <ServerList
          firstPage={servers.value}
          localRegions={regions.ok ? regions.value.items : []}
          localSizes={sizes.ok ? sizes.value.items : []}
        />
      ) : (
        <ApiErrorNotice error={servers.error} what="the servers" />
      )}
    </>
  );
}
