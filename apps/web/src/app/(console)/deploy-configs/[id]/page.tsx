import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../../components/api-error-notice';
import { PageHeader } from '../../../../components/page-header';
import { settle } from '../../../../lib/api';
import { mayCall, serverApi } from '../../../../lib/session';
import { DeployConfigDetails } from './deploy-config-details';

export const metadata: Metadata = { title: 'Deploy config' };

export default async function DeployConfigPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const config = await settle((await serverApi()).getDeployConfig(id));
  if (!config.ok) {
    return (
      <>
        <PageHeader title="Deploy config" />
        <ApiErrorNotice error={config.error} what="this deploy config" />
      </>
    );
  }
  return (
    <DeployConfigDetails
      config={config.value}
      canEdit={await mayCall('updateDeployConfig')}
      canDelete={await mayCall('deleteDeployConfig')}
    />
  );
}
