import type { DeploymentView } from '@platform/contracts';
import type { ServiceChoice } from './catalog';
import { serviceOverview } from './overview';

const service: ServiceChoice = {
  id: 'service-1',
  name: 'web',
  projectName: 'shop',
  hostname: 'web.localhost',
  url: 'http://web.localhost',
  currentDeploymentId: null,
};
const servers = new Map([
  ['server-1', 'edge-1'],
  ['server-2', 'edge-2'],
]);

function deployment(id: string, status: DeploymentView['status'], switched: string[] = []): DeploymentView {
  return {
    id,
    serviceId: service.id,
    status,
    imageTag: `web:deploy_${id}`,
    source: { type: 'image', image: 'nginx:1.27' },
    rollbackOf: null,
    servers: switched.map((serverId) => ({ serverId, status: 'switched', reason: null, url: 'http://web.localhost' })),
    failureReason: null,
    requestedBy: 'user-1',
    requestedAt: '2026-12-06T12:00:00.000Z',
    finishedAt: null,
    durationMs: null,
  };
}

describe('serviceOverview', () => {
  it('shows a service never deployed as such, with no link and no servers', () => {
    expect(serviceOverview(service, [], servers)).toMatchObject({
      status: { label: 'not deployed' },
      url: null,
      current: null,
      servers: [],
    });
  });

  it('shows the running deployment, its link and the names of the servers it switched over to', () => {
    const running = deployment('d1', 'succeeded', ['server-1', 'server-2']);
    const overview = serviceOverview({ ...service, currentDeploymentId: 'd1' }, [running], servers);
    expect(overview).toMatchObject({ status: { label: 'running', tone: 'success' }, url: 'http://web.localhost' });
    expect(overview.current?.id).toBe('d1');
    expect(overview.servers).toEqual(['edge-1', 'edge-2']);
  });

  it('says a deploy is under way while the current one keeps running', () => {
    const overview = serviceOverview(
      { ...service, currentDeploymentId: 'd1' },
      [deployment('d2', 'building'), deployment('d1', 'succeeded', ['server-1'])],
      servers,
    );
    expect(overview.status.label).toBe('building');
    expect(overview.current?.id).toBe('d1');
    expect(overview.servers).toEqual(['edge-1']);
  });

  it('says the last deploy failed, and whether an older version still runs', () => {
    const failed = deployment('d2', 'failed');
    expect(serviceOverview(service, [failed], servers).status).toEqual({ label: 'failed', tone: 'danger' });
    const stillRunning = serviceOverview(
      { ...service, currentDeploymentId: 'd1' },
      [failed, deployment('d1', 'succeeded', ['server-1'])],
      servers,
    );
    expect(stillRunning.status).toEqual({ label: 'running, last deploy failed', tone: 'warning' });
    expect(stillRunning.url).toBe('http://web.localhost');
  });
});
