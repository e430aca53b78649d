import type { Metadata } from 'next';
import { PageHeader } from '../../../components/page-header';
import { PlannedFeature } from '../../../components/planned-feature';

export const metadata: Metadata = { title: 'Deployments' };

export default function DeploymentsPage() {
  return (
    <>
      <PageHeader title="Deployments" description="Every deployment, kept so any of them can be rolled back." />
      <PlannedFeature
        icon="↺"
        title="Deployment history"
        routes={['GET /v1/deployments?serviceId=', 'GET /v1/deployments/{id}', 'GET /v1/deployments/{id}/logs', 'POST /v1/deployments/{id}/rollback']}
      >
        <p>
          History per service — status, image tag, who, when and how long — with the full build and cutover log, live status of
          running deployments, and rollback to any earlier one with confirmation.
        </p>
      </PlannedFeature>
    </>
  );
}
