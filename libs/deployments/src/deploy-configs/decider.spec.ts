import { randomUUID } from 'node:crypto';
import { DomainError, type DeployConfigFields } from '@platform/contracts';
import { deciderSpecification } from '@platform/decider';
import { deployConfigDecider } from './decider';

const metadata = { workspaceId: 'ws_a', actorId: 'user_1', correlationId: 'c1' };
const spec = deciderSpecification(deployConfigDecider, { metadata, now: new Date('2026-11-27T00:00:00Z') });
const otherWorkspace = deciderSpecification(deployConfigDecider, {
  metadata: { ...metadata, workspaceId: 'ws_b' },
  now: new Date('2026-11-27T00:00:00Z'),
});

const id = randomUUID();
const fields: DeployConfigFields = {
  name: 'web to production',
  serviceId: randomUUID(),
  source: { type: 'git', url: 'https://github.com/acme/web.git', ref: 'main' },
  serverIds: [randomUUID()],
};
const created = { type: 'DeployConfigCreated' as const, data: { deployConfigId: id, workspaceId: 'ws_a', fields } };

const expectCode = (code: string) => (error: unknown) => {
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
};

describe('deploy config decider', () => {
  it('creates a deploy config in the caller workspace', () => {
    spec
      .given([])
      .when({ type: 'CreateDeployConfig', data: { deployConfigId: id, fields } })
      .then([created]);
  });

  it('refuses to create one that exists', () => {
    spec
      .given([created])
      .when({ type: 'CreateDeployConfig', data: { deployConfigId: id, fields } })
      .thenThrows(expectCode('conflict'));
  });

  it('updates with the new fields, and does nothing when they did not change', () => {
    const renamed = { ...fields, name: 'web to staging' };
    spec
      .given([created])
      .when({ type: 'UpdateDeployConfig', data: { deployConfigId: id, fields: renamed } })
      .then([{ type: 'DeployConfigUpdated', data: { deployConfigId: id, workspaceId: 'ws_a', fields: renamed } }]);
    spec
      .given([created])
      .when({ type: 'UpdateDeployConfig', data: { deployConfigId: id, fields } })
      .thenNothingHappens();
  });

  it('deletes once, naming what it deleted; afterwards it is gone', () => {
    const deleted = {
      type: 'DeployConfigDeleted' as const,
      data: { deployConfigId: id, workspaceId: 'ws_a', name: fields.name },
    };
    spec
      .given([created])
      .when({ type: 'DeleteDeployConfig', data: { deployConfigId: id } })
      .then([deleted]);
    spec
      .given([created, deleted])
      .when({ type: 'DeleteDeployConfig', data: { deployConfigId: id } })
      .thenThrows(expectCode('not_found'));
    spec
      .given([created, deleted])
      .when({ type: 'UpdateDeployConfig', data: { deployConfigId: id, fields } })
      .thenThrows(expectCode('not_found'));
  });

  it('answers another workspace as if the deploy config did not exist', () => {
    otherWorkspace
      .given([created])
      .when({ type: 'UpdateDeployConfig', data: { deployConfigId: id, fields } })
      .thenThrows(expectCode('not_found'));
    otherWorkspace
      .given([created])
      .when({ type: 'DeleteDeployConfig', data: { deployConfigId: id } })
      .thenThrows(expectCode('not_found'));
    spec
      .given([])
      .when({ type: 'DeleteDeployConfig', data: { deployConfigId: id } })
      .thenThrows(expectCode('not_found'));
  });
});
