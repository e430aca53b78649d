import type { Metadata } from 'next';
import Link from 'next/link';
import { EmptyState } from '../../../../components/empty-state';
import { PageHeader } from '../../../../components/page-header';
import { mayCall } from '../../../../lib/session';
import { DeployConfigForm } from '../deploy-config-form';

export const metadata: Metadata = { title: 'New deploy config' };

export default async function NewDeployConfigPage() {
  const canCreate = await mayCall('createDeployConfig');
  return (
    <>
      <PageHeader
        title="New deploy config"
        description="What to deploy and where; deploy it from the Deploy page once deployments are available."
      />
      {canCreate ? (
        <DeployConfigForm />
      ) : (
        <div className="card">
          <EmptyState
            icon="⊘"
            title="Your role cannot create deploy configs"
            action={
              <Link href="/deploy-configs" className="button">
                Back to deploy configs
              </Link>
            }
          >
            <p>
              Viewers see everything but change nothing. An owner or admin can give you the member role under Settings →
              Members.
            </p>
          </EmptyState>
        </div>
      )}
    </>
  );
}
