import { DomainError } from '@platform/contracts';
import { deciderSpecification } from '@platform/decider';
import { projectDecider } from './decider';

const metadata = { workspaceId: 'ws_a', actorId: 'user_1', correlationId: 'c1' };
const spec = deciderSpecification(projectDecider, { metadata, now: new Date('2026-12-01T00:00:00Z') });
const projectId = 'dddddddd-0000-4000-8000-000000000001';

describe('project decider', () => {
  it('creates a project in the caller workspace', () => {
    spec
      .given([])
      .when({ type: 'CreateProject', data: { projectId, name: 'shop' } })
      .then([{ type: 'ProjectCreated', data: { projectId, name: 'shop', workspaceId: 'ws_a' } }]);
  });

  it('refuses to create one that exists', () => {
    spec
      .given([{ type: 'ProjectCreated', data: { projectId, name: 'shop', workspaceId: 'ws_a' } }])
      .when({ type: 'CreateProject', data: { projectId, name: 'shop' } })
      .thenThrows((error) => {
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).code).toBe('conflict');
      });
  });
});
