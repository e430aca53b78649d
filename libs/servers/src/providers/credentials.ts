import {
  DomainError,
  providerTokenContext,
  type CredentialProvider,
  type MessageMetadata,
  type ProviderName,
  type ProviderView,
} from '@platform/contracts';
import type { EventStore, Migration } from '@platform/event-store';
import type { SecretBox } from '@platform/secrets';
import { nameBasedUuid } from '@platform/service-kit';
import type { Pool } from 'pg';
import type { ServerQueries } from '../servers/queries';
import type { SnapshotQueries } from '../snapshots/queries';

/** Checks a token with its provider; resolves to the account it belongs to, or rejects saying why it does not work. */
export type CredentialVerifier = (token: string) => Promise<string>;

export const providerCredentialsMigrations: Migration[] = [
  {
    id: 'provider-credentials/001-table',
    sql: `
      CREATE TABLE provider_credentials (
        workspace_id text NOT NULL,
        provider text NOT NULL,
        sealed_token text NOT NULL,
        account text NOT NULL,
        verified_at timestamptz NOT NULL,
        PRIMARY KEY (workspace_id, provider)
      );
    `,
  },
];

const PURPOSE: Record<ProviderName, ProviderView['purpose']> = {
  local: 'servers',
  digitalocean: 'servers',
  cloudflare: 'dns',
};
const LABEL: Record<CredentialProvider, string> = { digitalocean: 'DigitalOcean', cloudflare: 'Cloudflare' };

function providerStreamId(workspaceId: string, provider: CredentialProvider): string {
  return `provider-${provider}-${workspaceId}`;
}

export interface ProviderCredentialsOptions {
  readonly pool: Pool;
  readonly schema: string;
  readonly store: EventStore;
  readonly secrets: SecretBox;
  readonly verifiers: Record<CredentialProvider, CredentialVerifier>;
}

/**
 * A workspace's provider tokens: verified with the provider before they are kept, kept sealed (the gateway seals
 * them, so they cross the bus sealed too), opened only to talk to the provider, and never returned. The table
 * holds the current token; the event log records that a provider was connected or disconnected, without it.
 */
export class ProviderCredentials {
  constructor(private readonly options: ProviderCredentialsOptions) {}

  async save(metadata: MessageMetadata, provider: CredentialProvider, sealedToken: string): Promise<ProviderView> {
    const { workspaceId } = metadata;
    let token: string;
    try {
      token = this.options.secrets.open(sealedToken, providerTokenContext(workspaceId, provider));
    } catch {
      throw new DomainError(
        'validation_failed',
        `the ${LABEL[provider]} token was not sealed for this workspace; send it again`,
      );
    }
    const account = await this.options.verifiers[provider](token).catch((error: unknown) => {
      throw refused(provider, error);
    });
    const { rows } = await this.options.pool.query<{ verified_at: Date }>(
      `INSERT INTO ${this.options.schema}.provider_credentials (workspace_id, provider, sealed_token, account, verified_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (workspace_id, provider) DO UPDATE SET sealed_token = EXCLUDED.sealed_token, account = EXCLUDED.account, verified_at = now()
       RETURNING verified_at`,
      [workspaceId, provider, sealedToken, account],
    );
    const verifiedAt = (rows[0]?.verified_at ?? new Date()).toISOString();
    await this.record(metadata, provider, `connected:${verifiedAt}`, 'ProviderConnected', {
      provider,
      account,
      verifiedAt,
    });
    return { provider, purpose: PURPOSE[provider], connected: true, account, verifiedAt };
  }

  /** Forgets the token; `inUse` says why it may not be forgotten yet (servers still running on it), and what to do. */
  async remove(
    metadata: MessageMetadata,
    provider: CredentialProvider,
    inUse: () => Promise<string | undefined>,
  ): Promise<ProviderView> {
    const blocker = await inUse();
    if (blocker) throw new DomainError('conflict', blocker);
    const { rowCount } = await this.options.pool.query(
      `DELETE FROM ${this.options.schema}.provider_credentials WHERE workspace_id = $1 AND provider = $2`,
      [metadata.workspaceId, provider],
    );
    if (rowCount)
      await this.record(metadata, provider, `disconnected:${Date.now()}`, 'ProviderDisconnected', { provider });
    return { provider, purpose: PURPOSE[provider], connected: false, account: null, verifiedAt: null };
  }

  async list(workspaceId: string): Promise<ProviderView[]> {
    const { rows } = await this.options.pool.query<{
      provider: CredentialProvider;
      account: string;
      verified_at: Date;
    }>(
      `SELECT provider, account, verified_at FROM ${this.options.schema}.provider_credentials WHERE workspace_id = $1`,
      [workspaceId],
    );
    const saved = new Map(rows.map((row) => [row.provider, row]));
    const local: ProviderView = {
      provider: 'local',
      purpose: 'servers',
      connected: true,
      account: null,
      verifiedAt: null,
    };
    return [
      local,
      ...(['digitalocean', 'cloudflare'] as const).map((provider): ProviderView => {
        const row = saved.get(provider);
        return {
          provider,
          purpose: PURPOSE[provider],
          connected: !!row,
          account: row?.account ?? null,
          verifiedAt: row?.verified_at.toISOString() ?? null,
        };
      }),
    ];
  }

  /** The sealed token, to open only where the provider is called; undefined when none is saved. */
  async sealedTokenOf(workspaceId: string, provider: CredentialProvider): Promise<string | undefined> {
    const { rows } = await this.options.pool.query<{ sealed_token: string }>(
      `SELECT sealed_token FROM ${this.options.schema}.provider_credentials WHERE workspace_id = $1 AND provider = $2`,
      [workspaceId, provider],
    );
    return rows[0]?.sealed_token;
  }

  open(workspaceId: string, provider: CredentialProvider, sealedToken: string): string {
    return this.options.secrets.open(sealedToken, providerTokenContext(workspaceId, provider));
  }

  private async record(
    metadata: MessageMetadata,
    provider: CredentialProvider,
    key: string,
    type: string,
    data: unknown,
  ): Promise<void> {
    const streamId = providerStreamId(metadata.workspaceId, provider);
    await this.options.store.append(streamId, [{ eventId: nameBasedUuid(`${streamId}:${key}`), type, data, metadata }]);
  }
}

/** A provider's refusal of a token is bad input from the caller (422), never the caller's own credential failing (401). */
function refused(provider: CredentialProvider, error: unknown): DomainError {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof DomainError && ['unavailable', 'timeout', 'rate_limited', 'internal'].includes(error.code)) {
    return new DomainError(
      'unavailable',
      `${LABEL[provider]} could not verify the token now (${reason}); try again in a minute`,
    );
  }
  return new DomainError('validation_failed', `${LABEL[provider]} did not accept the token: ${reason}`, [
    { path: 'body.token', message: reason },
  ]);
}

/** What still needs a workspace's token for the provider, said as the reason it may not be forgotten yet. */
export async function providerInUse(
  readModels: { servers: ServerQueries; snapshots: SnapshotQueries },
  workspaceId: string,
  provider: CredentialProvider,
): Promise<string | undefined> {
  if (provider !== 'digitalocean') return undefined;
  const [servers, snapshots] = await Promise.all([
    readModels.servers.countOn(workspaceId, provider),
    readModels.snapshots.countInProgress(workspaceId),
  ]);
  if (servers > 0)
    return `${servers} server${servers === 1 ? '' : 's'} of this workspace still run on DigitalOcean; destroy them before disconnecting it`;
  if (snapshots > 0)
    return `${snapshots} snapshot${snapshots === 1 ? ' is' : 's are'} being built or deleted on DigitalOcean; disconnect it once that has finished`;
  return undefined;
}
