import type { DeploySource } from '@platform/contracts';
import type { Deployment, KnownService } from '../services/decider';

/** One way a server may get a deployment's image; a plan lists them cheapest first. */
export type ImageStep =
  /** Tag an image this server's Docker engine may already hold. */
  | { readonly kind: 'tag'; readonly source: string; readonly how: 'shipped' | 'pulled' }
  | { readonly kind: 'pull'; readonly image: string }
  | { readonly kind: 'build'; readonly source: Exclude<DeploySource, { type: 'image' }> }
  /** Nothing else may be tried: say why. */
  | { readonly kind: 'refuse'; readonly reason: string };

/**
 * How one server gets the deployment's image. An image another server of the deployment has (or the image of
 * the deployment rolled back to) is only tagged where it is present: servers sharing this machine's Docker engine
 * have it, a droplet with an engine of its own does not. Then the image is pulled or built as on the first
 * server — except for a rollback of a built image, which runs that exact image or nothing.
 */
export function imagePlan(service: KnownService, deployment: Deployment, serverId: string): ImageStep[] {
  const steps: ImageStep[] = [];
  const shipped = Object.values(deployment.servers).find((progress) => progress.image)?.image;
  if (shipped) steps.push({ kind: 'tag', source: shipped, how: 'shipped' });
  const previous = deployment.rollbackOf ? service.deployments[deployment.rollbackOf] : undefined;
  if (previous) {
    const earlier =
      previous.servers[serverId]?.image ?? Object.values(previous.servers).find((progress) => progress.image)?.image;
    if (earlier && earlier !== shipped) steps.push({ kind: 'tag', source: earlier, how: 'shipped' });
  }
  if (deployment.source.type === 'image') {
    steps.push(
      { kind: 'tag', source: deployment.source.image, how: 'pulled' },
      { kind: 'pull', image: deployment.source.image },
    );
  } else if (previous) {
    steps.push({
      kind: 'refuse',
      reason: 'the image of the deployment rolled back to is no longer on this server; deploy its source again instead',
    });
  } else {
    steps.push({ kind: 'build', source: deployment.source });
  }
  return steps;
}
