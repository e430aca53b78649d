import { deployTag, type DeploySource } from '@platform/contracts';
import { imagePlan } from './image-plan';
import type { Deployment, KnownService, ServerProgress } from '../services/decider';

const [first, second] = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
const upload: DeploySource = { type: 'upload', uploadId: '33333333-3333-4333-8333-333333333333' };

function deployment(
  id: string,
  source: DeploySource,
  servers: Record<string, ServerProgress>,
  rollbackOf: string | null = null,
): Deployment {
  return {
    deploymentId: id,
    serviceId: 'svc',
    workspaceId: 'ws',
    source,
    tag: deployTag(id),
    targets: [],
    env: {},
    port: 3000,
    healthCheckPath: '/',
    batchSize: 1,
    rollbackOf,
    requestedAt: '2026-11-27T10:00:00.000Z',
    status: 'running',
    servers,
  };
}

function service(...deployments: Deployment[]): KnownService {
  return {
    status: 'active',
    workspaceId: 'ws',
    projectId: 'p',
    name: 'web',
    port: 3000,
    healthCheckPath: '/',
    env: {},
    deployments: Object.fromEntries(deployments.map((each) => [each.deploymentId, each])),
  };
}

const d1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const d2 = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

describe('how a server gets the deployment image', () => {
  it('builds the source on the first server', () => {
    const building = deployment(d1, upload, { [first]: { status: 'pending' }, [second]: { status: 'pending' } });
    expect(imagePlan(service(building), building, first)).toEqual([{ kind: 'build', source: upload }]);
  });

  it("tags the first server's image on the others, and builds there too when their Docker engine does not hold it", () => {
    const built = deployment(d1, upload, {
      [first]: { status: 'image_ready', image: 'srv-1/web:deploy_aaaaaaaa' },
      [second]: { status: 'pending' },
    });
    expect(imagePlan(service(built), built, second)).toEqual([
      { kind: 'tag', source: 'srv-1/web:deploy_aaaaaaaa', how: 'shipped' },
      { kind: 'build', source: upload },
    ]);
  });

  it('uses an image source where it is present, else pulls it', () => {
    const image: DeploySource = { type: 'image', image: 'ghcr.io/acme/web:1.2.3' };
    const pulling = deployment(d1, image, { [first]: { status: 'pending' } });
    expect(imagePlan(service(pulling), pulling, first)).toEqual([
      { kind: 'tag', source: 'ghcr.io/acme/web:1.2.3', how: 'pulled' },
      { kind: 'pull', image: 'ghcr.io/acme/web:1.2.3' },
    ]);
  });

  it('rolls back to the exact image that ran on the server, and never rebuilds it', () => {
    const earlier = {
      ...deployment(d1, upload, { [first]: { status: 'switched', image: 'srv-1/web:deploy_aaaaaaaa' } }),
      status: 'succeeded' as const,
    };
    const rollback = deployment(d2, upload, { [first]: { status: 'pending' } }, d1);
    expect(imagePlan(service(earlier, rollback), rollback, first)).toEqual([
      { kind: 'tag', source: 'srv-1/web:deploy_aaaaaaaa', how: 'shipped' },
      { kind: 'refuse', reason: expect.stringContaining('deploy its source again') },
    ]);
  });
});
