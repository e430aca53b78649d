import type { Pool } from 'pg';
import { Accounts } from './accounts';
import { AuditLog } from './audit-log';
import { ApiTokens } from './api-tokens';
import { CredentialCache } from './credential-cache';
import { IdentityRepository } from './identity-repository';
import { DEFAULT_INSTANCE_SETTINGS, Instance, type InstanceSettings } from './instance';
import { Invites } from './invites';
import { Workspaces } from './workspaces';

export interface IdentityOptions {
  readonly sessionTtlDays?: number;
  readonly cache?: CredentialCache;
  /** Told which users' credentials changed, so other replicas can forget them too. */
  readonly onUsersChanged?: (userIds: string[]) => void;
  /** Who may sign up, use local servers, and how many workspaces a user may make (safe defaults otherwise). */
  readonly instance?: Partial<InstanceSettings>;
}

/**
 * Users, workspaces, memberships, sessions, API tokens, invitations and the instance's owner, in the `identity` schema: a service per resource over
 * one repository that holds the SQL, sharing one credential cache. Every method that acts inside a workspace
 * takes the caller's Access and touches only that workspace.
 */
export class Identity {
  readonly cache: CredentialCache;
  readonly accounts: Accounts;
  readonly apiTokens: ApiTokens;
  readonly workspaces: Workspaces;
  readonly invites: Invites;
  readonly instance: Instance;
  readonly audit: AuditLog;
  private readonly repository: IdentityRepository;

  constructor(pool: Pool, schema: string, options: IdentityOptions = {}) {
    this.repository = new IdentityRepository(pool, schema);
    this.audit = new AuditLog(pool, schema);
    this.cache = options.cache ?? new CredentialCache();
    const usersChanged = (userIds: string[]) => {
      this.cache.forgetUsers(userIds);
      options.onUsersChanged?.(userIds);
    };
    this.instance = new Instance(this.repository, { ...DEFAULT_INSTANCE_SETTINGS, ...options.instance });
    this.accounts = new Accounts(this.repository, this.cache, usersChanged, this.instance, options.sessionTtlDays);
    this.apiTokens = new ApiTokens(this.repository, usersChanged);
    this.workspaces = new Workspaces(this.repository, usersChanged, this.instance.settings.maxWorkspacesPerUser);
    this.invites = new Invites(this.repository);
  }

  migrate(): Promise<void> {
    return this.repository.migrate();
  }
}
