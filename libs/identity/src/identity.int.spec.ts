import { DomainError, type Role } from '@platform/contracts';
import { runMigrations } from '@platform/event-store';
import { createTestSchema, type TestSchema } from '@platform/testing';
import { resolveAccess, type Access } from './access';
import { Identity } from './identity';
import type { InstanceSettings } from './instance';
import { identityMigrations } from './migrations';

const password = 'correct horse battery staple';

const outcome = (work: Promise<unknown>) =>
  work.then(
    () => 'ok',
    (error: unknown) => (error instanceof DomainError ? error.code : `unexpected: ${String(error)}`),
  );

describe('identity: the instance owner, signup policy, invitations and limits (real PostgreSQL)', () => {
  const dbs: TestSchema[] = [];

  /** An identity store of its own: a fresh instance, with these settings. */
  async function instance(settings: Partial<InstanceSettings> = {}) {
    const db = createTestSchema('identity');
    dbs.push(db);
    const identity = new Identity(db.pool, db.schema, { instance: settings });
    await identity.migrate();
    return { db, identity };
  }

  async function accessOf(identity: Identity, token: string, workspaceId?: string): Promise<Access> {
    return resolveAccess(await identity.accounts.authenticate(token), workspaceId);
  }

  afterAll(async () => {
    for (const db of dbs) await db.dispose();
  });

  it('makes the first account the instance owner, with local servers in its first workspace only, then closes signup', async () => {
    const { identity } = await instance();
    expect(await identity.instance.signupPolicy()).toEqual({ signup: 'first_account' });
    const owner = await identity.accounts.signup({ email: 'owner@example.com', password, workspaceName: 'ops' });
    expect(await identity.instance.owner()).toEqual({
      ownerUserId: owner.user.id,
      firstWorkspaceId: owner.workspace.id,
    });
    expect(await identity.instance.signupPolicy()).toEqual({ signup: 'invite_only' });

    const second = identity.accounts.signup({ email: 'stranger@example.com', password, workspaceName: 'mine' });
    await expect(second).rejects.toMatchObject({ code: 'signup_closed', message: expect.stringMatching(/invitation/) });
    // Nothing of the refused signup is left: no user (its email is free for an invitation later).
    await expect(identity.accounts.login({ email: 'stranger@example.com', password })).rejects.toMatchObject({
      code: 'unauthorized',
    });

    const another = await identity.workspaces.create(await accessOf(identity, owner.token), 'staging');
    expect(await identity.instance.mayUseLocalServers(owner.workspace.id)).toBe(true);
    expect(await identity.instance.mayUseLocalServers(another.id)).toBe(false);
    await expect(identity.instance.checkLocalServers(another.id)).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/LOCAL_SERVERS_WORKSPACES/),
    });
  });

  it('lets only one of two first signups at once become the owner', async () => {
    const { identity } = await instance();
    const outcomes = await Promise.all(
      ['a@example.com', 'b@example.com', 'c@example.com'].map((email) =>
        outcome(identity.accounts.signup({ email, password, workspaceName: email })),
      ),
    );
    expect(outcomes.sort()).toEqual(['ok', 'signup_closed', 'signup_closed']);
  });

  it('lets anyone sign up when signup is open, and names the workspaces that may have local servers', async () => {
    const listed = '00000000-0000-4000-8000-000000000001';
    const { identity } = await instance({ signup: 'open', localServersWorkspaces: [listed] });
    expect(await identity.instance.signupPolicy()).toEqual({ signup: 'open' });
    const first = await identity.accounts.signup({ email: 'first@example.com', password, workspaceName: 'one' });
    const second = await identity.accounts.signup({ email: 'second@example.com', password, workspaceName: 'two' });
    expect(await identity.instance.mayUseLocalServers(first.workspace.id)).toBe(true);
    expect(await identity.instance.mayUseLocalServers(second.workspace.id)).toBe(false);
    expect(await identity.instance.mayUseLocalServers(listed)).toBe(true);

    const everyone = await instance({ localServersWorkspaces: '*' });
    expect(await everyone.identity.instance.mayUseLocalServers(second.workspace.id)).toBe(true);
  });

  it('joins a workspace by invitation once, in its role, and refuses it used, expired, revoked or for another email', async () => {
    const { db, identity } = await instance();
    const owner = await identity.accounts.signup({ email: 'boss@example.com', password, workspaceName: 'team' });
    const asOwner = await accessOf(identity, owner.token);
    const invite = await identity.invites.create(asOwner, { role: 'member', expiresInDays: 7 });
    expect(invite.token).toMatch(/^pli_[A-Za-z0-9_-]{43}$/);
    expect(invite).toMatchObject({ status: 'pending', role: 'member', email: null, usedAt: null });
    // Only a hash of the secret is kept.
    const stored = await db.pool.query(`SELECT * FROM ${db.schema}.invites`);
    expect(JSON.stringify(stored.rows)).not.toContain(invite.token.slice(4));

    const joined = await identity.accounts.signup({ email: 'new@example.com', password, invite: invite.token });
    expect(joined.workspace).toMatchObject({ id: owner.workspace.id, role: 'member', name: 'team' });
    const asNew = await accessOf(identity, joined.token);
    expect(asNew).toMatchObject({ workspaceId: owner.workspace.id, role: 'member' });
    expect(asNew.principal.workspaces).toHaveLength(1);

    expect(await outcome(identity.accounts.signup({ email: 'late@example.com', password, invite: invite.token }))).toBe(
      'invite_used',
    );
    expect(await outcome(identity.accounts.signup({ email: 'x@example.com', password, invite: 'pli_nothing' }))).toBe(
      'invite_not_found',
    );

    const revoked = await identity.invites.create(asOwner, { role: 'viewer', expiresInDays: 7 });
    await identity.invites.revoke(asOwner, revoked.id);
    expect(await outcome(identity.accounts.signup({ email: 'r@example.com', password, invite: revoked.token }))).toBe(
      'invite_revoked',
    );
    expect(await outcome(identity.invites.revoke(asOwner, invite.id))).toBe('conflict');

    const expired = await identity.invites.create(asOwner, { role: 'viewer', expiresInDays: 1 });
    await db.pool.query(`UPDATE ${db.schema}.invites SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      expired.id,
    ]);
    expect(await outcome(identity.accounts.signup({ email: 'e@example.com', password, invite: expired.token }))).toBe(
      'invite_expired',
    );

    const forCarol = await identity.invites.create(asOwner, {
      role: 'viewer',
      email: 'carol@example.com',
      expiresInDays: 7,
    });
    expect(
      await outcome(identity.accounts.signup({ email: 'mallory@example.com', password, invite: forCarol.token })),
    ).toBe('forbidden');
    expect(
      await outcome(identity.accounts.signup({ email: 'carol@example.com', password, invite: forCarol.token })),
    ).toBe('ok');

    expect((await identity.invites.list(asOwner)).map((item) => item.status)).toEqual([
      'used',
      'expired',
      'revoked',
      'used',
    ]);
  });

  it('lets one of two uses of an invitation at once succeed', async () => {
    const { identity } = await instance();
    const owner = await identity.accounts.signup({ email: 'boss@example.com', password, workspaceName: 'team' });
    const invite = await identity.invites.create(await accessOf(identity, owner.token), {
      role: 'viewer',
      expiresInDays: 7,
    });
    const outcomes = await Promise.all(
      ['one', 'two', 'three', 'four'].map((name) =>
        outcome(identity.accounts.signup({ email: `${name}@example.com`, password, invite: invite.token })),
      ),
    );
    expect(outcomes.sort()).toEqual(['invite_used', 'invite_used', 'invite_used', 'ok']);
  });

  it('joins by logging in with an invitation, and lets admins invite no owners or admins', async () => {
    const { identity } = await instance({ signup: 'open' });
    const owner = await identity.accounts.signup({ email: 'boss@example.com', password, workspaceName: 'team' });
    const other = await identity.accounts.signup({ email: 'other@example.com', password, workspaceName: 'own' });
    const asOwner = await accessOf(identity, owner.token);
    const invite = await identity.invites.create(asOwner, { role: 'admin', expiresInDays: 7 });

    const wrong = identity.accounts.login({
      email: 'other@example.com',
      password: 'wrong password',
      invite: invite.token,
    });
    await expect(wrong).rejects.toMatchObject({ code: 'unauthorized' });
    const session = await identity.accounts.login({ email: 'other@example.com', password, invite: invite.token });
    const asAdmin = await accessOf(identity, session.token);
    // The session acts in the workspace it joined; the user keeps their own.
    expect(asAdmin).toMatchObject({ workspaceId: owner.workspace.id, role: 'admin' });
    expect([...asAdmin.principal.memberships.keys()].sort()).toEqual([owner.workspace.id, other.workspace.id].sort());

    const roles: Role[] = ['owner', 'admin', 'member', 'viewer'];
    const byAdmin = await Promise.all(
      roles.map((role) => outcome(identity.invites.create(asAdmin, { role, expiresInDays: 1 }))),
    );
    expect(byAdmin).toEqual(['forbidden', 'forbidden', 'ok', 'ok']);

    const again = await identity.invites.create(asOwner, { role: 'viewer', expiresInDays: 7 });
    expect(await outcome(identity.accounts.login({ email: 'other@example.com', password, invite: again.token }))).toBe(
      'conflict',
    );
    // Refused for being a member already, the invitation is still there for someone else.
    expect((await identity.invites.list(asOwner)).find((item) => item.id === again.id)?.status).toBe('pending');
  });

  it('limits the workspaces one user creates, counting the first, even when asked at once', async () => {
    const { identity } = await instance({ maxWorkspacesPerUser: 3 });
    const owner = await identity.accounts.signup({ email: 'maker@example.com', password, workspaceName: 'first' });
    const access = await accessOf(identity, owner.token);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, (_, n) => outcome(identity.workspaces.create(access, `ws-${n}`))),
    );
    expect(outcomes.sort()).toEqual([
      'ok',
      'ok',
      'workspace_limit_reached',
      'workspace_limit_reached',
      'workspace_limit_reached',
    ]);
    await expect(identity.workspaces.create(access, 'one more')).rejects.toMatchObject({
      code: 'workspace_limit_reached',
      details: [{ created: 3, limit: 3 }],
    });
  });

  it('makes the oldest user of an instance that had accounts already its owner', async () => {
    const db = createTestSchema('identity');
    dbs.push(db);
    await runMigrations(db.pool, db.schema, identityMigrations.slice(0, 1));
    const q = (sql: string) => db.pool.query(sql.replaceAll('$s', db.schema));
    await q(`INSERT INTO $s.users (id, email, password_hash, created_at) VALUES
      ('00000000-0000-4000-8000-00000000000a', 'old@example.com', 'x', now() - interval '2 days'),
      ('00000000-0000-4000-8000-00000000000b', 'new@example.com', 'x', now() - interval '1 day')`);
    await q(`INSERT INTO $s.workspaces (id, name, created_at) VALUES
      ('00000000-0000-4000-8000-0000000000a1', 'old first', now() - interval '2 days'),
      ('00000000-0000-4000-8000-0000000000a2', 'old second', now() - interval '1 hour'),
      ('00000000-0000-4000-8000-0000000000b1', 'new first', now() - interval '1 day')`);
    await q(`INSERT INTO $s.memberships (workspace_id, user_id, role, created_at) VALUES
      ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-00000000000a', 'owner', now() - interval '2 days'),
      ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-00000000000a', 'owner', now() - interval '1 hour'),
      ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-00000000000b', 'owner', now() - interval '1 day'),
      ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-00000000000b', 'member', now())`);
    const identity = new Identity(db.pool, db.schema);
    await identity.migrate();
    expect(await identity.instance.owner()).toEqual({
      ownerUserId: '00000000-0000-4000-8000-00000000000a',
      firstWorkspaceId: '00000000-0000-4000-8000-0000000000a1',
    });
    const made = await db.pool.query(`SELECT name, created_by FROM ${db.schema}.workspaces ORDER BY name`);
    expect(made.rows).toEqual([
      { name: 'new first', created_by: '00000000-0000-4000-8000-00000000000b' },
      { name: 'old first', created_by: '00000000-0000-4000-8000-00000000000a' },
      { name: 'old second', created_by: '00000000-0000-4000-8000-00000000000a' },
    ]);
  });
});
