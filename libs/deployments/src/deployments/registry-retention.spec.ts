import type { Deployment, KnownService } from '../services/decider';
import { registryImagesToDelete } from './registry-retention';

const digest = (n: number) => `sha256:${String(n).padStart(64, '0')}`;

function deployment(n: number, status: Deployment['status'], image = n): Deployment {
  return {
    deploymentId: `d${n}`,
    requestedAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    status,
    registryImage: { repository: '127.0.0.1:5443/wabc/web', digest: digest(image) },
  } as unknown as Deployment;
}

function service(deployments: Deployment[], current?: string): KnownService {
  return {
    deployments: Object.fromEntries(deployments.map((d) => [d.deploymentId, d])),
    current,
  } as unknown as KnownService;
}

describe('registry retention', () => {
  it('keeps the newest N succeeded images and deletes the older ones', () => {
    const all = [1, 2, 3, 4, 5].map((n) => deployment(n, 'succeeded'));
    expect(registryImagesToDelete(service(all, 'd5'), 3).map((image) => image.digest)).toEqual([digest(2), digest(1)]);
  });

  it('never deletes the image serving now, one still deploying, or one a kept rollback shares', () => {
    const all = [
      deployment(1, 'succeeded'),
      deployment(2, 'succeeded'),
      deployment(3, 'succeeded'),
      deployment(4, 'failed'),
      // A rollback to d1 shares its digest: d1's image stays while the rollback is kept.
      deployment(5, 'succeeded', 1),
      deployment(6, 'running'),
    ];
    expect(registryImagesToDelete(service(all, 'd2'), 1).map((image) => image.digest)).toEqual([digest(4), digest(3)]);
  });
});
