import { DomainError, ListRegions, ListSizes, type ProvisionServerRequest } from '@platform/contracts';
import type { FastifyRequest } from 'fastify';
import type { CommandGateway } from '../commands';

/**
 * A server request checked against the provider's catalogue before anything is created: an unknown region or
 * size is refused here, with the ones there are, instead of failing later in the cloud.
 */
export async function completeServerRequest(
  commands: CommandGateway,
  request: FastifyRequest,
  body: ProvisionServerRequest,
): Promise<Required<Omit<ProvisionServerRequest, 'snapshotId'>> & Pick<ProvisionServerRequest, 'snapshotId'>> {
  const [regions, sizes] = await Promise.all([
    commands.query(request, ListRegions, { provider: body.provider }),
    commands.query(request, ListSizes, { provider: body.provider }),
  ]);
  const region = body.region ?? (body.provider === 'local' ? 'local' : undefined);
  const size = body.size ?? (body.provider === 'local' ? 'local' : undefined);
  const problems: { path: string; message: string }[] = [];
  if (!region || !regions.items.some((item) => item.slug === region && item.available)) {
    problems.push({
      path: 'body.region',
      message: `must be one of: ${regions.items
        .filter((r) => r.available)
        .map((r) => r.slug)
        .join(', ')}`,
    });
  }
  if (!size || !sizes.items.some((item) => item.slug === size && (!region || item.regions.includes(region)))) {
    problems.push({ path: 'body.size', message: `must be one of: ${sizes.items.map((s) => s.slug).join(', ')}` });
  }
  if (body.provider === 'local' && body.snapshotId) {
    problems.push({ path: 'body.snapshotId', message: 'local servers are not made from snapshots; leave it out' });
  }
  if (problems.length || !region || !size) {
    throw new DomainError('validation_failed', `the ${body.provider} provider has no such region or size`, problems);
  }
  return { ...body, region, size };
}
