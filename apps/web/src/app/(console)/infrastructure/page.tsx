import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../components/api-error-notice';
import { PageHeader } from '../../../components/page-header';
import { settle } from '../../../lib/api';
import { serverApi } from '../../../lib/session';
import { ServerList } from './server-list';
import { SnapshotList } from './snapshot-list';

export const metadata: Metadata = { title: 'Infrastructure' };

export default async function InfrastructurePage() {
  const api = await serverApi();
  const [servers, regions, sizes, snapshots, providers] = await Promise.all([
    settle(api.listServers({ limit: 200 })),
    settle(api.listRegions('local')),
    settle(api.listSizes('local')),
    settle(api.listSnapshots({ limit: 50 })),
    settle(api.listProviders()),
  ]);
  // Unknown (null) when the providers could not be read: building a snapshot then says why when it is tried.
  const digitalOceanConnected = providers.ok
    ? (providers.value.items.find((item) => item.provider === 'digitalocean')?.connected ?? false)
    : null;
  return (
    <>
      <PageHeader
        title="Infrastructure"
        description="The servers your applications run on, and the snapshots they start from. Status changes show here as they happen."
      />
      <div className="stack">
        {servers.ok ? (
          <ServerList
            firstPage={servers.value}
            localRegions={regions.ok ? regions.value.items : []}
            localSizes={sizes.ok ? sizes.value.items : []}
          />
        ) : (
          <ApiErrorNotice error={servers.error} what="the servers" />
        )}
        {snapshots.ok ? (
          <SnapshotList firstPage={snapshots.value} digitalOceanConnected={digitalOceanConnected} />
        ) : (
          <ApiErrorNotice error={snapshots.error} what="the snapshots" />
        )}
      </div>
    </>
  );
}
