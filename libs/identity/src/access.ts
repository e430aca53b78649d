import { DomainError, scopesOfRole, type Role, type Scope, type WorkspaceView } from '@platform/contracts';

/** Who is calling, as their credential shows: resolved once per credential and cached. */
export interface Principal {
  readonly userId: string;
  readonly email: string;
  readonly createdAt: string;
  readonly credential:
    | { readonly kind: 'session'; readonly id: string; readonly defaultWorkspaceId: string }
    | {
        readonly kind: 'api_token';
        readonly id: string;
        /** The name its creator gave it: how the audit log names the token as an actor. */
        readonly name: string;
        readonly workspaceId: string;
        readonly scopes: readonly Scope[];
      };
  /** workspace id → role, for every workspace the credential reaches. */
  readonly memberships: ReadonlyMap<string, Role>;
  /** Those workspaces, oldest membership first (what `GET /v1/me` lists). */
  readonly workspaces: readonly WorkspaceView[];
}

/** What a request may do in the one workspace it acts in. */
export interface Access {
  readonly principal: Principal;
  readonly workspaceId: string;
  readonly role: Role;
  readonly scopes: readonly Scope[];
}

/**
 * Picks the workspace a request acts in and what it may do there. A workspace the caller does not belong to
 * is answered as not found, exactly like one that does not exist.
 */
export function resolveAccess(principal: Principal, requestedWorkspaceId: string | undefined): Access {
  const credential = principal.credential;
  const workspaceId =
    credential.kind === 'api_token' ? credential.workspaceId : (requestedWorkspaceId ?? credential.defaultWorkspaceId);
  const role = principal.memberships.get(workspaceId);
  if (!role || (requestedWorkspaceId !== undefined && requestedWorkspaceId !== workspaceId)) {
    throw new DomainError('not_found', `workspace ${requestedWorkspaceId ?? workspaceId} does not exist`);
  }
  const allowed = scopesOfRole[role];
  const scopes =
    credential.kind === 'api_token' ? credential.scopes.filter((scope) => allowed.includes(scope)) : allowed;
  return { principal, workspaceId, role, scopes };
}

export function requireScope(access: Access, scope: Scope): void {
  if (access.scopes.includes(scope)) return;
  const byToken = access.principal.credential.kind === 'api_token' && scopesOfRole[access.role].includes(scope);
  throw new DomainError(
    'forbidden',
    byToken
      ? `this API token lacks the "${scope}" scope; create a token with it`
      : `a ${access.role} of this workspace cannot do this; ask an owner or admin for a role with the "${scope}" scope`,
  );
}

const rank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/**
 * Whether `actor` may give `target` the role `next` (or remove them when `next` is undefined). Owners manage
 * everyone; admins manage members and viewers only; a workspace always keeps at least one owner.
 */
export function checkMemberChange(input: {
  actorRole: Role;
  targetRole: Role | undefined;
  nextRole: Role | undefined;
  owners: number;
}): void {
  const { actorRole, targetRole, nextRole, owners } = input;
  if (actorRole !== 'owner' && actorRole !== 'admin') {
    throw new DomainError('forbidden', 'only owners and admins manage members');
  }
  const touchesOwnerOrAdmin = [targetRole, nextRole].some((role) => role !== undefined && rank[role] >= rank.admin);
  if (actorRole === 'admin' && touchesOwnerOrAdmin) {
    throw new DomainError('forbidden', 'only an owner can add, change or remove owners and admins');
  }
  if (targetRole === 'owner' && nextRole !== 'owner' && owners <= 1) {
    throw new DomainError('conflict', 'a workspace needs an owner; make someone else owner first');
  }
}
