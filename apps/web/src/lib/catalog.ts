/** Lookups several pages share, loaded by server components: every service (with its project) and the members. */
import type { ServiceView } from '@platform/contracts';
import { settle, type ApiClient, type ApiErrorInfo } from './api';

export interface ServiceChoice {
  readonly id: string;
  readonly name: string;
  readonly projectName: string;
  readonly hostname: string;
  /** Where the app opens in a browser. */
  readonly url: string;
  readonly currentDeploymentId: string | null;
}

function choiceOf(service: ServiceView, projectName: string): ServiceChoice {
  return {
    id: service.id,
    name: service.name,
    projectName,
    hostname: service.hostname,
    url: service.url,
    currentDeploymentId: service.currentDeploymentId,
  };
}

/** Every service of the workspace's projects (up to 100 projects of 200 services), for pickers and names. */
export async function loadServices(api: ApiClient): Promise<{ services: ServiceChoice[]; error?: ApiErrorInfo }> {
  const projects = await settle(api.listProjects({ limit: 100 }));
  if (!projects.ok) return { services: [], error: projects.error };
  const pages = await Promise.all(
    projects.value.items.map(async (project) => {
      const services = await settle(api.listServices(project.id, { limit: 200 }));
      return services.ok ? services.value.items.map((service) => choiceOf(service, project.name)) : [];
    }),
  );
  return { services: pages.flat() };
}

/** Who is who: user ids (as deployments name them) to emails, from the workspace's members. */
export async function loadPeople(api: ApiClient, workspaceId: string): Promise<Record<string, string>> {
  const members = await settle(api.listMembers(workspaceId));
  return members.ok ? Object.fromEntries(members.value.items.map((member) => [member.userId, member.email])) : {};
}
