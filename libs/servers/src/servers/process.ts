import { AgentClient } from '@platform/agent-client';
import { agentSecretContext, type MessageMetadata } from '@platform/contracts';
import { SweptProcess, type EventStore, type LogSink } from '@platform/event-store';
import type { SecretBox } from '@platform/secrets';
import { nameBasedUuid, stepMetadata, type DeciderCommandHandler } from '@platform/service-kit';
import { randomUUID } from 'node:crypto';
import type { ProviderRegistry } from '../providers/registry';
import {
  serverStreamId,
  type KnownServer,
  type ServerCommand,
  type ServerEvent,
  type ServerProgressCommand,
  type ServerState,
} from './decider';
import type { ServerQueries } from './queries';
import { snapshotsProjection } from '../snapshots/projection';
import type { SnapshotQueries } from '../snapshots/queries';
import { serversProjection } from './projection';
import { MANAGED_SERVER_TAG, type ServerSource } from '../providers/cloud-provider';

export interface ServerProvisioningProcessOptions {
  readonly store: EventStore;
  readonly commands: DeciderCommandHandler<ServerCommand, ServerEvent, ServerState>;
  readonly queries: ServerQueries;
  readonly providers: ProviderRegistry;
  readonly snapshots: SnapshotQueries;
  /** What a cloud server boots when the workspace has no ready snapshot in its region (cloud-init installs everything). */
  readonly baseImage: string;
  readonly secrets: SecretBox;
  /** The platform CA's certificate (PEM): the only issuer agent clients trust. */
  readonly agentCa: string;
  /** A server not ready this long after it was requested ends `failed` (and its cloud server is deleted). */
  readonly deadlineMs: number;
  /** How often servers in progress are looked at. */
  readonly pollMs?: number;
  readonly logger: LogSink;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The process manager of servers, whose state is each server's event stream: it creates the cloud server,
 * waits for its agent, and destroys it, recording every step as an event. Whichever replica holds the lease
 * carries on every server in progress, so a provisioner killed mid-way resumes from the last recorded step,
 * or fails the server with a reason once its deadline has passed. Nothing stays "provisioning" for ever.
 */
export class ServerProvisioningProcess extends SweptProcess<string> {
  constructor(private readonly options: ServerProvisioningProcessOptions) {
    super({
      name: 'provisioning',
      store: options.store,
      pending: () => options.queries.inProgress(),
      keyOf: (serverId) => serverId,
      // A server waiting for its snapshot carries on when the snapshot is ready.
      projections: [serversProjection.name, snapshotsProjection.name],
      pollMs: options.pollMs,
      logger: options.logger,
    });
  }

  /** Takes one server one step further, as its recorded state says. */
  async advance(serverId: string): Promise<void> {
    const { state, metadata } = await this.load(serverId);
    if (state.status === 'absent' || !metadata) return;
    switch (state.status) {
      case 'provisioning':
        return this.create(serverId, state, metadata);
      case 'booting':
        return this.boot(serverId, state, metadata);
      case 'destroying':
        return this.destroy(serverId, state, metadata);
      default:
        return;
    }
  }

  /**
   * `RefreshServer`: asks the agent for its version now and records what it said, as done by whoever asked and
   * with their request's origin (the refresh decides no event of its own: its audit entry derives from this one).
   */
  async refresh(serverId: string, askedBy?: MessageMetadata): Promise<void> {
    const { state, metadata } = await this.load(serverId);
    if (state.status === 'absent' || !state.created || !metadata) return;
    const version = await this.agentOf(serverId, state)
      .version()
      .then(
        (info) => info.agentVersion,
        () => null,
      );
    const checkedFor = askedBy
      ? { ...metadata, actorId: askedBy.actorId, correlationId: askedBy.correlationId, origin: askedBy.origin }
      : metadata;
    await this.record(checkedFor, randomUUID(), {
      type: 'RecordServerChecked',
      data: { serverId, reachable: version !== null, agentVersion: version, checkedAt: new Date().toISOString() },
    });
  }

  private async create(serverId: string, state: KnownServer, metadata: MessageMetadata): Promise<void> {
    if (this.pastDeadline(state)) {
      await this.fail(
        serverId,
        metadata,
        'create',
        `the server was not created within ${this.options.deadlineMs / 1000} s`,
      );
      return;
    }
    const tag = `server-${serverId}`;
    try {
      const cloud = await this.options.providers.providerFor(state.workspaceId, state.spec.provider);
      // A provisioner that died between creating and recording leaves a cloud server whose secret is lost: replace it.
      for (const orphan of (await cloud.listServers()).filter((server) => server.tags.includes(tag)))
        await cloud.deleteServer(orphan.id);
      const { name, region, size } = state.spec;
      const source = state.spec.provider === 'local' ? undefined : await this.sourceOf(state);
      const created = await cloud.createServer({ name, region, size, source, tags: [MANAGED_SERVER_TAG, tag] });
      await this.record(metadata, nameBasedUuid(`${serverId}:created`), {
        type: 'RecordServerCreated',
        data: {
          serverId,
          providerServerId: created.id,
          publicIp: created.publicIp,
          agentUrl: created.agentUrl,
          edge: created.edge,
          sealedAgentSecret: this.options.secrets.seal(
            created.agentSecret,
            agentSecretContext(state.workspaceId, serverId),
          ),
        },
      });
    } catch (error) {
      await this.fail(serverId, metadata, 'create', describe(error));
    }
  }

  /** The snapshot named, else the workspace's newest ready one in the region, else the stock image. */
  private async sourceOf(state: KnownServer): Promise<ServerSource> {
    const { workspaceId, spec } = state;
    const snapshot = spec.snapshotId
      ? await this.options.snapshots.get(workspaceId, spec.snapshotId)
      : await this.options.snapshots.newestReady(workspaceId, spec.region);
    if (!snapshot) return { baseImage: this.options.baseImage };
    if (snapshot.status !== 'ready' || !snapshot.providerSnapshotId)
      throw new Error(`snapshot ${snapshot.id} is ${snapshot.status}, not ready`);
    return { snapshotId: snapshot.providerSnapshotId };
  }

  private async boot(serverId: string, state: KnownServer, metadata: MessageMetadata): Promise<void> {
    try {
      const version = await this.agentOf(serverId, state).version();
      await this.record(metadata, nameBasedUuid(`${serverId}:ready`), {
        type: 'RecordServerReady',
        data: { serverId, agentVersion: version.agentVersion },
      });
    } catch (error) {
      if (!this.pastDeadline(state)) return;
      await this.fail(
        serverId,
        metadata,
        'boot',
        `its agent did not answer within ${this.options.deadlineMs / 1000} s: ${describe(error)}`,
      );
      await this.deleteCloudServer(state).catch((cleanup: unknown) =>
        this.options.logger.warn(
          { serverId, err: cleanup },
          'deleting the cloud server of a failed provisioning failed',
        ),
      );
    }
  }

  private async destroy(serverId: string, state: KnownServer, metadata: MessageMetadata): Promise<void> {
    try {
      await this.deleteCloudServer(state);
      await this.record(metadata, nameBasedUuid(`${serverId}:destroyed`), {
        type: 'RecordServerDestroyed',
        data: { serverId },
      });
    } catch (error) {
      await this.record(metadata, randomUUID(), {
        type: 'RecordDestroyFailed',
        data: { serverId, reason: describe(error) },
      });
    }
  }

  private async deleteCloudServer(state: KnownServer): Promise<void> {
    if (!state.created) return;
    const cloud = await this.options.providers.providerFor(state.workspaceId, state.spec.provider);
    if (await cloud.getServer(state.created.providerServerId))
      await cloud.deleteServer(state.created.providerServerId, { force: state.destroyForce });
  }

  private agentOf(serverId: string, state: KnownServer): AgentClient {
    if (!state.created) throw new Error(`server ${serverId} has no cloud server yet`);
    const secret = this.options.secrets.open(
      state.created.sealedAgentSecret,
      agentSecretContext(state.workspaceId, serverId),
    );
    return new AgentClient({ baseUrl: state.created.agentUrl, secret, ca: this.options.agentCa, timeoutMs: 3000 });
  }

  private pastDeadline(state: KnownServer): boolean {
    return Date.now() - Date.parse(state.requestedAt) > this.options.deadlineMs;
  }

  private fail(serverId: string, metadata: MessageMetadata, step: 'create' | 'boot', reason: string): Promise<unknown> {
    this.options.logger.warn({ serverId, step, reason }, 'provisioning failed');
    return this.record(metadata, nameBasedUuid(`${serverId}:failed`), {
      type: 'RecordProvisionFailed',
      data: { serverId, step, reason },
    });
  }

  private async load(serverId: string): Promise<{ state: ServerState; metadata: MessageMetadata | undefined }> {
    const { state, events } = await this.options.commands.load(serverStreamId(serverId));
    return { state, metadata: stepMetadata(events[0], 'provisioner') };
  }

  private record(metadata: MessageMetadata, commandId: string, command: ServerProgressCommand) {
    return this.options.commands.record(metadata, commandId, command);
  }
}
