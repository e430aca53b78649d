import {
  DomainError,
  GetSnapshot,
  ListRegions,
  ListSizes,
  providerTokenContext,
  SaveProviderCredentials,
  type CreateSnapshotRequest,
  type CredentialProvider,
  type ProviderView,
} from '@platform/contracts';
import type { SecretBox } from '@platform/secrets';
import type { FastifyRequest } from 'fastify';
import type { CommandGateway } from '../commands';
import { accessOf } from '../request-state';

/** Verifying a token may wait on the provider's API (and its retries) for a while. */
const VERIFY_TIMEOUT_MS = 20_000;

/** Seals the token here, so that it crosses the bus and reaches the provisioner's storage only sealed. */
export function saveProviderToken(
  commands: CommandGateway,
  secrets: SecretBox,
  request: FastifyRequest,
  provider: CredentialProvider,
  token: string,
): Promise<ProviderView> {
  const sealedToken = secrets.seal(token, providerTokenContext(accessOf(request).workspaceId, provider));
  return commands.query(request, SaveProviderCredentials, { provider, sealedToken }, { timeoutMs: VERIFY_TIMEOUT_MS });
}

/** A snapshot request checked against the provider's catalogue; the builder's size defaults to the region's smallest. */
export async function completeSnapshotRequest(
  commands: CommandGateway,
  request: FastifyRequest,
  body: CreateSnapshotRequest,
): Promise<Required<CreateSnapshotRequest>> {
  const [regions, sizes] = await Promise.all([
    commands.query(request, ListRegions, { provider: body.provider }),
    commands.query(request, ListSizes, { provider: body.provider }),
  ]);
  const problems: { path: string; message: string }[] = [];
  if (!regions.items.some((item) => item.slug === body.region && item.available)) {
    problems.push({
      path: 'body.region',
      message: `must be one of: ${regions.items
        .filter((r) => r.available)
        .map((r) => r.slug)
        .join(', ')}`,
    });
  }
  const inRegion = sizes.items
    .filter((item) => item.regions.includes(body.region))
    .sort((a, b) => a.priceMonthly - b.priceMonthly);
  const size = body.size ?? inRegion[0]?.slug;
  if (!size || !inRegion.some((item) => item.slug === size)) {
    problems.push({
      path: 'body.size',
      message: `must be one of: ${inRegion.map((s) => s.slug).join(', ') || '(no size in this region)'}`,
    });
  }
  if (problems.length || !size)
    throw new DomainError('validation_failed', `the ${body.provider} provider has no such region or size`, problems);
  return { ...body, size };
}

/** A server booted from a snapshot needs one of the caller's, built and present in the server's region. */
export async function checkSnapshotForServer(
  commands: CommandGateway,
  request: FastifyRequest,
  snapshotId: string,
  server: { provider: string; region: string },
): Promise<void> {
  const snapshot = await commands.query(request, GetSnapshot, { snapshotId });
  const problem =
    snapshot.provider !== server.provider
      ? `is a ${snapshot.provider} snapshot; the server is on ${server.provider}`
      : snapshot.status !== 'ready'
        ? `is ${snapshot.status}, not ready; wait for it or pick a ready one`
        : !snapshot.regions.includes(server.region)
          ? `is in ${snapshot.regions.join(', ')}, not ${server.region}; pick one of its regions`
          : undefined;
  if (problem)
    throw new DomainError('validation_failed', `snapshot ${snapshotId} ${problem}`, [
      { path: 'body.snapshotId', message: problem },
    ]);
}

/** A snapshot still being built is refused now, not after a 202 (the builder droplet is cleaned up by the build). */
export async function checkSnapshotDeletable(
  commands: CommandGateway,
  request: FastifyRequest,
  snapshotId: string,
): Promise<void> {
  const snapshot = await commands.query(request, GetSnapshot, { snapshotId });
  if (snapshot.status === 'building') {
    throw new DomainError(
      'conflict',
      `snapshot ${snapshotId} is still being built (${snapshot.step ?? 'starting'}); delete it once it is ready or failed`,
    );
  }
}
