import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../components/api-error-notice';
import { PageHeader } from '../../../components/page-header';
import { settle } from '../../../lib/api';
import { serverApi } from '../../../lib/session';
import { ProjectsView, type ProjectWithServices } from './projects-view';

export const metadata: Metadata = { title: 'Projects & services' };

export default async function ProjectsPage() {
  const api = await serverApi();
  const projects = await settle(api.listProjects({ limit: 100 }));
  if (!projects.ok) {
    return (
      <>
        <PageHeader title="Projects & services" />
        <ApiErrorNotice error={projects.error} what="the projects" />
      </>
    );
  }
  const withServices: ProjectWithServices[] = await Promise.all(
    projects.value.items.map(async (project) => {
      const services = await settle(api.listServices(project.id, { limit: 200 }));
      return {
        project,
        services: services.ok ? services.value.items : [],
        servicesError: services.ok ? undefined : services.error.message,
      };
    }),
  );
  return (
    <>
      <PageHeader
        title="Projects & services"
        description="A project groups services; a service is what you deploy: its port, health check and environment values."
      />
      <ProjectsView projects={withServices} />
    </>
  );
}
