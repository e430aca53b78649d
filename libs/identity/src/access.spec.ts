import { DomainError, type Role } from '@platform/contracts';
import { checkMemberChange, requireScope, resolveAccess, type Principal } from './access';

const session = (memberships: [string, Role][]): Principal => ({
  userId: 'u1',
  email: 'a@example.com',
  createdAt: '2026-01-01T00:00:00.000Z',
  credential: { kind: 'session', id: 's1', defaultWorkspaceId: memberships[0][0] },
  memberships: new Map(memberships),
  workspaces: memberships.map(([id, role]) => ({ id, role, name: id, createdAt: '2026-01-01T00:00:00.000Z' })),
});

const code = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return (error as DomainError).code;
  }
  return 'ok';
};

describe('access', () => {
  it('acts in the default workspace, or the requested one the user belongs to', () => {
    const principal = session([
      ['ws1', 'owner'],
      ['ws2', 'viewer'],
    ]);
    expect(resolveAccess(principal, undefined)).toMatchObject({ workspaceId: 'ws1', role: 'owner' });
    expect(resolveAccess(principal, 'ws2')).toMatchObject({ workspaceId: 'ws2', role: 'viewer', scopes: ['read'] });
    expect(code(() => resolveAccess(principal, 'ws3'))).toBe('not_found');
  });

  it('keeps an API token in its workspace and within its scopes and its creator role', () => {
    const token: Principal = {
      ...session([['ws1', 'member']]),
      credential: { kind: 'api_token', name: 'ci', id: 't1', workspaceId: 'ws1', scopes: ['read', 'admin'] },
    };
    const access = resolveAccess(token, undefined);
    expect(access.scopes).toEqual(['read']);
    expect(code(() => resolveAccess(token, 'ws2'))).toBe('not_found');
    expect(code(() => requireScope(access, 'deploy'))).toBe('forbidden');
    expect(code(() => requireScope(access, 'read'))).toBe('ok');
  });

  it('lets a viewer read and nothing else', () => {
    const access = resolveAccess(session([['ws1', 'viewer']]), undefined);
    for (const scope of ['deploy', 'infra', 'admin'] as const)
      expect(code(() => requireScope(access, scope))).toBe('forbidden');
  });
});

describe('member changes', () => {
  it('lets owners manage everyone and admins only members and viewers', () => {
    expect(
      code(() => checkMemberChange({ actorRole: 'owner', targetRole: 'admin', nextRole: 'owner', owners: 1 })),
    ).toBe('ok');
    expect(
      code(() => checkMemberChange({ actorRole: 'admin', targetRole: 'viewer', nextRole: 'member', owners: 1 })),
    ).toBe('ok');
    expect(
      code(() => checkMemberChange({ actorRole: 'admin', targetRole: 'member', nextRole: 'admin', owners: 1 })),
    ).toBe('forbidden');
    expect(
      code(() => checkMemberChange({ actorRole: 'admin', targetRole: 'owner', nextRole: undefined, owners: 2 })),
    ).toBe('forbidden');
    expect(
      code(() => checkMemberChange({ actorRole: 'member', targetRole: undefined, nextRole: 'viewer', owners: 1 })),
    ).toBe('forbidden');
  });

  it('never leaves a workspace without an owner', () => {
    expect(
      code(() => checkMemberChange({ actorRole: 'owner', targetRole: 'owner', nextRole: 'admin', owners: 1 })),
    ).toBe('conflict');
    expect(
      code(() => checkMemberChange({ actorRole: 'owner', targetRole: 'owner', nextRole: undefined, owners: 1 })),
    ).toBe('conflict');
    expect(
      code(() => checkMemberChange({ actorRole: 'owner', targetRole: 'owner', nextRole: undefined, owners: 2 })),
    ).toBe('ok');
  });
});
