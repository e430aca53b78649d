import type { Pool } from 'pg';
import { Accounts } from './accounts';
import { ApiTokens } from './api-tokens';
import { CredentialCache } from './credential-cache';
import { IdentityRepository } from './identity-repository';
import { Workspaces } from './workspaces';

export interface IdentityOptions {
  readonly sessionTtlDays?: number;
  readonly cache?: CredentialCache;
  /** Told which users' credentials changed, so other replicas can forget them too. */
  readonly onUsersChanged?: (userIds: string[]) => void;
}

/**
 * Users, workspaces, memberships, sessions and API tokens, in the `identity` schema: a service per resource over
 * one repository that holds the SQL, sharing one credential cache. Every method that acts inside a workspace
 * takes the caller's Access and touches only that workspace.
 */
export class Identity {
  readonly cache: CredentialCache;
  readonly accounts: Accounts;
  readonly apiTokens: ApiTokens;
  readonly workspaces: Workspaces;
  private readonly repository: IdentityRepository;

  constructor(pool: Pool, schema: string, options: IdentityOptions = {}) {
    this.repository = new IdentityRepository(pool, schema);
    this.cache = options.cache ?? new CredentialCache();
    const usersChanged = (userIds: string[]) => {
      this.cache.forgetUsers(userIds);
      options.onUsersChanged?.(userIds);
    };
    this.accounts = new Accounts(this.repository, this.cache, usersChanged, options.sessionTtlDays);
    this.apiTokens = new ApiTokens(this.repository, usersChanged);
    this.workspaces = new Workspaces(this.repository, usersChanged);
  }

  migrate(): Promise<void> {
    return this.repository.migrate();
  }
}
