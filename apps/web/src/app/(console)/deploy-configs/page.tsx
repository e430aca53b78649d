import type { Metadata } from 'next';
import Link from 'next/link';
import { ApiErrorNotice } from '../../../components/api-error-notice';
import { PageHeader } from '../../../components/page-header';
import { settle } from '../../../lib/api';
import { mayCall, serverApi } from '../../../lib/session';
import { DeployConfigList } from './deploy-config-list';

export const metadata: Metadata = { title: 'Deploy configs' };

const DEFAULT_PAGE_SIZE = 25;

/** `?limit=` within what the API accepts (1–200); anything else is the default. */
function pageSize(value: string | string[] | undefined): number {
  const limit = Number(value);
  return Number.isInteger(limit) && limit >= 1 && limit <= 200 ? limit : DEFAULT_PAGE_SIZE;
}

export default async function DeployConfigsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const limit = pageSize((await searchParams).limit);
  const firstPage = await settle((await serverApi()).listDeployConfigs({ limit }));
  const canCreate = await mayCall('createDeployConfig');
  return (
    <>
      <PageHeader
        title="Deploy configs"
        description="Saved deploy settings — a service, its source and its servers — to deploy again in one click."
        actions={
          canCreate && (
            <Link href="/deploy-configs/new" className="button primary">
              New deploy config
            </Link>
          )
        }
      />
      {firstPage.ok ? (
        <DeployConfigList firstPage={firstPage.value} pageSize={limit} />
      ) : (
        <ApiErrorNotice error={firstPage.error} what="the deploy configs" />
      )}
    </>
  );
}
