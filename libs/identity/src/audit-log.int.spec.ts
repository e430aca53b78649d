import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts';
import { createTestSchema, type TestSchema } from '@platform/testing';
import { resolveAccess } from './access';
import { Identity } from './identity';

const password = 'correct horse battery staple';
const context = { requestId: 'req-1', ip: '127.0.0.9', userAgent: 'spec/1' };

describe('the audit log (real PostgreSQL)', () => {
  let db: TestSchema;
  let identity: Identity;
  beforeAll(async () => {
    db = createTestSchema('audit');
    identity = new Identity(db.pool, db.schema, { instance: { signup: 'open' } });
    await identity.migrate();
  });
  afterAll(() => db.dispose());

  it('records an identity change with the change, and nothing for a refused one', async () => {
    const owner = await identity.accounts.signup({ email: 'a@example.com', password, workspaceName: 'a' }, context);
    const access = resolveAccess(await identity.accounts.authenticate(owner.token), undefined);
    const token = await identity.apiTokens.create(access, { name: 'ci', scopes: ['read'] }, context);
    // A second revoke of the same token is refused: its transaction, entry included, rolls back.
    await identity.apiTokens.revoke(access, token.id, context);
    await expect(identity.apiTokens.revoke(access, token.id, context)).rejects.toBeInstanceOf(DomainError);

    const page = await identity.audit.list({ workspaceId: owner.workspace.id }, { limit: 50 });
    expect(page.items.map((entry) => entry.action)).toEqual(['revokeApiToken', 'createApiToken', 'signup']);
    expect(page.items[0]).toMatchObject({
      actor: { kind: 'user', name: 'a@example.com', userId: owner.user.id },
      resource: { type: 'api_token', id: token.id },
      requestId: 'req-1',
      ip: '127.0.0.9',
      userAgent: 'spec/1',
    });
    expect(JSON.stringify(page)).not.toContain(token.token);
    expect(JSON.stringify(page)).not.toContain(owner.token);
  });

  it('pages newest first without repeating or skipping, filters, and keeps instance-level actions apart', async () => {
    const workspaceId = randomUUID();
    const actor = { kind: 'api_token' as const, userId: 'u1', name: 'deployer', credentialId: 't1' };
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
    await identity.audit.record(
      Array.from({ length: 5 }, (_, minute) => ({
        action: minute % 2 ? 'createProject' : 'createDeployment',
        workspaceId,
        actor,
        resource: { type: 'thing', id: `r${minute}` },
        occurredAt: at(minute),
      })),
    );
    const first = await identity.audit.list({ workspaceId }, { limit: 2 });
    const second = await identity.audit.list({ workspaceId }, { limit: 2, cursor: first.nextCursor ?? undefined });
    const third = await identity.audit.list({ workspaceId }, { limit: 2, cursor: second.nextCursor ?? undefined });
    expect([...first.items, ...second.items, ...third.items].map((entry) => entry.resource?.id)).toEqual([
      'r4',
      'r3',
      'r2',
      'r1',
      'r0',
    ]);
    expect(third.nextCursor).toBeNull();
    const filtered = await identity.audit.list(
      { workspaceId },
      { limit: 50, actor: 'deployer', action: 'createProject', from: at(2).toISOString(), to: at(4).toISOString() },
    );
    expect(filtered.items.map((entry) => entry.resource?.id)).toEqual(['r3']);
    expect((await identity.audit.list({ workspaceId }, { limit: 50, resourceId: 'r0' })).items).toHaveLength(1);
    const instanceLevel = await identity.audit.list({ instanceLevel: true }, { limit: 50 });
    expect(new Set(instanceLevel.items.map((entry) => entry.action))).toEqual(new Set(['signup']));
    // Retention: entries of 2026-01-01 are older than a day.
    expect(await identity.audit.prune(1)).toBeGreaterThanOrEqual(5);
    expect((await identity.audit.list({ workspaceId }, { limit: 50 })).items).toEqual([]);
  });
});
