import { DomainError, type SignupPolicy } from '@platform/contracts';
import type { IdentityRepository } from './identity-repository';

/** What the instance's operator decides for everyone (the gateway's settings). */
export interface InstanceSettings {
  /** `open`: anyone may sign up; `invite`: after the first account, only with an invitation. */
  readonly signup: 'open' | 'invite';
  /**
   * Workspaces that may run servers on this machine besides the owner's first one, or `*` for every workspace
   * (a development instance, where everyone is trusted).
   */
  readonly localServersWorkspaces: '*' | readonly string[];
  /** How many workspaces one user may create (their first one, at signup, included). */
  readonly maxWorkspacesPerUser: number;
}

export const DEFAULT_INSTANCE_SETTINGS: InstanceSettings = {
  signup: 'invite',
  localServersWorkspaces: [],
  maxWorkspacesPerUser: 10,
};

interface InstanceOwner {
  readonly ownerUserId: string;
  readonly firstWorkspaceId: string;
}

/**
 * The instance as a whole: its owner (the first account), who may sign up, and who may run servers on the
 * platform's own machine. The `local` provider runs servers with this machine's Docker engine, so a workspace
 * with local servers can run anything here: they are for the operator only, the owner's first workspace and the
 * ones `localServersWorkspaces` names.
 */
export class Instance {
  /** Set once the owner is known: the instance's owner never changes after that. */
  private knownOwner: InstanceOwner | undefined;

  constructor(
    private readonly repository: IdentityRepository,
    readonly settings: InstanceSettings,
  ) {}

  /** The owner and their first workspace, or undefined before the first signup. */
  async owner(): Promise<InstanceOwner | undefined> {
    this.knownOwner ??= await this.repository.findInstance();
    return this.knownOwner;
  }

  async signupPolicy(): Promise<SignupPolicy> {
    if (this.settings.signup === 'open') return { signup: 'open' };
    return { signup: (await this.owner()) ? 'invite_only' : 'first_account' };
  }

  async mayUseLocalServers(workspaceId: string): Promise<boolean> {
    const listed = this.settings.localServersWorkspaces;
    if (listed === '*' || listed.includes(workspaceId)) return true;
    return (await this.owner())?.firstWorkspaceId === workspaceId;
  }

  /** Refuses, saying why and what the operator can set, a workspace that may not run servers on this machine. */
  async checkLocalServers(workspaceId: string): Promise<void> {
    if (await this.mayUseLocalServers(workspaceId)) return;
    throw new DomainError(
      'forbidden',
      `local servers run on the platform's own machine, with its Docker engine, so only its operator may use them: ` +
        `they are on for the instance owner's first workspace and for the workspaces the instance setting ` +
        `LOCAL_SERVERS_WORKSPACES names. Ask the operator to add this workspace (${workspaceId}) to it, or use a ` +
        `cloud provider (DigitalOcean) instead`,
    );
  }
}

export function signupClosed(): DomainError {
  return new DomainError(
    'signup_closed',
    'signup on this instance is by invitation only: ask a workspace admin for an invitation link ' +
      '(the operator can open signup to everyone with the instance setting SIGNUP=open)',
  );
}
