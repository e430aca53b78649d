import type { RegistryImage } from '@platform/registry';
import type { KnownService } from '../services/decider';

/**
 * The images of a service in the registry that may go: every digest its deployments recorded, except those of its
 * newest `keep` deployments that succeeded, of the one serving now and of any still running (a rollback to a
 * recent version must always find its image). A digest several deployments share stays while any of them keeps it.
 */
export function registryImagesToDelete(service: KnownService, keep: number): RegistryImage[] {
  const deployments = Object.values(service.deployments)
    .filter((deployment) => deployment.registryImage)
    .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  const kept = new Set<string>();
  const keepImageOf = (deploymentId: string | undefined) => {
    const image = deploymentId ? service.deployments[deploymentId]?.registryImage : undefined;
    if (image) kept.add(image.digest);
  };
  deployments
    .filter((deployment) => deployment.status === 'succeeded')
    .slice(0, keep)
    .forEach((deployment) => keepImageOf(deployment.deploymentId));
  keepImageOf(service.current);
  deployments
    .filter((deployment) => deployment.status === 'running' || deployment.status === 'rolling_back')
    .forEach((deployment) => keepImageOf(deployment.deploymentId));
  const deleted = new Map<string, RegistryImage>();
  for (const deployment of deployments) {
    const image = deployment.registryImage as RegistryImage;
    if (!kept.has(image.digest)) deleted.set(image.digest, image);
  }
  return [...deleted.values()];
}
