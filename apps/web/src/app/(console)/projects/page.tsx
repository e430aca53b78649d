import type { Metadata } from 'next';
import { PageHeader } from '../../../components/page-header';
import { PlannedFeature } from '../../../components/planned-feature';

export const metadata: Metadata = { title: 'Projects & services' };

export default function ProjectsPage() {
  return (
    <>
      <PageHeader title="Projects & services" description="Projects group the services you deploy." />
      <PlannedFeature
        icon="◇"
        title="Projects and services"
        routes={['POST /v1/projects · GET /v1/projects', 'POST /v1/projects/{id}/services', 'GET · PATCH /v1/services/{id}']}
      >
        <p>
          Create projects and their services; set each service&apos;s port, health check path and environment values (masked, revealed
          only on request).
        </p>
      </PlannedFeature>
    </>
  );
}
