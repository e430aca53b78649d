import { AgentClient } from '@platform/agent-client';
import type { MessageMetadata, SnapshotStep } from '@platform/contracts';
import { SweptProcess, type EventStore, type LogSink } from '@platform/event-store';
import type { SecretBox } from '@platform/secrets';
import { nameBasedUuid, stepMetadata, type DeciderCommandHandler } from '@platform/service-kit';
import { randomUUID } from 'node:crypto';
import { MANAGED_SERVER_TAG, type ProvisioningCloudProvider } from '../providers/cloud-provider';
import type { ProviderRegistry } from '../providers/registry';
import {
  snapshotStreamId,
  type KnownSnapshot,
  type SnapshotCommand,
  type SnapshotEvent,
  type SnapshotProgressCommand,
  type SnapshotState,
} from './decider';
import { snapshotName, snapshotsProjection } from './projection';
import type { SnapshotQueries } from './queries';

export interface SnapshotBuildingProcessOptions {
  readonly store: EventStore;
  readonly commands: DeciderCommandHandler<SnapshotCommand, SnapshotEvent, SnapshotState>;
  readonly queries: SnapshotQueries;
  readonly providers: ProviderRegistry;
  readonly secrets: SecretBox;
  /** The platform CA's certificate (PEM): the only issuer agent clients trust. */
  readonly agentCa: string;
  /** The stock image builders boot, for cloud-init to install Docker, nginx and the agent on. */
  readonly baseImage: string;
  /** A snapshot not ready this long after it was requested ends `failed` (its builder deleted). */
  readonly deadlineMs: number;
  readonly pollMs?: number;
  readonly logger: LogSink;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The sealing context of a snapshot builder's agent secret. */
export function builderSecretContext(workspaceId: string, snapshotId: string): string {
  return `${workspaceId}:snapshot:${snapshotId}:builder-agent-secret`;
}

/**
 * The process manager of snapshots, whose state is each snapshot's event stream: it boots a builder droplet from
 * a stock image with the platform's cloud-init, waits until the builder's agent answers at the expected version,
 * snapshots the builder (powered off), deletes it, and records each step. A failure at any step deletes the
 * builder and ends the snapshot `failed` with the reason; a provisioner restarted mid-way carries on from the last
 * recorded step (a snapshot already taken under the snapshot's name is found again, not taken twice).
 */
export class SnapshotBuildingProcess extends SweptProcess<string> {
  constructor(private readonly options: SnapshotBuildingProcessOptions) {
    super({
      name: 'snapshots',
      store: options.store,
      pending: () => options.queries.inProgress(),
      keyOf: (snapshotId) => snapshotId,
      projections: [snapshotsProjection.name],
      pollMs: options.pollMs,
      logger: options.logger,
    });
  }

  /** Takes one snapshot one step further, as its recorded state says. */
  async advance(snapshotId: string): Promise<void> {
    const { state, metadata } = await this.load(snapshotId);
    if (state.status === 'absent' || !metadata) return;
    if (state.status === 'deleting') return this.delete(snapshotId, state, metadata);
    if (state.status !== 'building' || !state.step) return;
    const step = state.step;
    try {
      const cloud = await this.options.providers.digitalOceanFor(state.workspaceId);
      await this.steps[step](snapshotId, state, metadata, cloud);
    } catch (error) {
      if (error instanceof StepPending && !this.pastDeadline(state)) return;
      const reason =
        error instanceof StepPending && this.pastDeadline(state)
          ? `${error.message} within ${this.options.deadlineMs / 1000} s`
          : describe(error);
      await this.fail(snapshotId, state, metadata, step, reason);
    }
  }

  private readonly steps: Record<
    SnapshotStep,
    (id: string, state: KnownSnapshot, metadata: MessageMetadata, cloud: ProvisioningCloudProvider) => Promise<void>
  > = {
    'create-builder': async (snapshotId, state, metadata, cloud) => {
      if (this.pastDeadline(state))
        throw new Error(`the builder was not created within ${this.options.deadlineMs / 1000} s`);
      // A provisioner that died between creating and recording leaves a builder whose secret is lost: replace it.
      await this.deleteBuilders(cloud, snapshotId);
      const builder = await cloud.createServer({
        name: `platform-builder-${snapshotId.slice(0, 8)}`,
        tags: [MANAGED_SERVER_TAG, builderTag(snapshotId)],
        region: state.spec.region,
        size: state.spec.size,
        source: { baseImage: this.options.baseImage },
      });
      await this.record(metadata, nameBasedUuid(`${snapshotId}:builder-created`), {
        type: 'RecordBuilderCreated',
        data: {
          snapshotId,
          builderServerId: builder.id,
          agentUrl: builder.agentUrl,
          sealedAgentSecret: this.options.secrets.seal(
            builder.agentSecret,
            builderSecretContext(state.workspaceId, snapshotId),
          ),
        },
      });
    },

    'wait-for-agent': async (snapshotId, state, metadata) => {
      const builder = state.builder!;
      const secret = this.options.secrets.open(
        builder.sealedAgentSecret,
        builderSecretContext(state.workspaceId, snapshotId),
      );
      const client = new AgentClient({ baseUrl: builder.agentUrl, secret, ca: this.options.agentCa, timeoutMs: 3000 });
      const version = await client
        .version()
        .then((info) => info.agentVersion)
        .catch((error: unknown) => {
          throw new StepPending(`the builder's agent did not answer (${describe(error)})`);
        });
      if (version !== state.agentVersion)
        throw new Error(
          `the builder's agent reports version ${version}, expected ${state.agentVersion}: check the agent release it installs`,
        );
      await this.record(metadata, nameBasedUuid(`${snapshotId}:builder-ready`), {
        type: 'RecordBuilderReady',
        data: { snapshotId, agentVersion: version },
      });
    },

    snapshot: async (snapshotId, state, metadata, cloud) => {
      const name = snapshotName(snapshotId, state.agentVersion);
      const taken =
        (await cloud.listSnapshots()).find((snapshot) => snapshot.name === name) ??
        (await cloud.snapshotServer(state.builder!.builderServerId, name, {
          deadlineMs: Math.max(60_000, this.remaining(state)),
        }));
      await this.record(metadata, nameBasedUuid(`${snapshotId}:taken`), {
        type: 'RecordSnapshotTaken',
        data: {
          snapshotId,
          providerSnapshotId: taken.id,
          regions: [...taken.regions],
          sizeGb: taken.sizeGigabytes ?? null,
        },
      });
    },

    'remove-builder': async (snapshotId, _state, metadata, cloud) => {
      await this.deleteBuilders(cloud, snapshotId).catch((error: unknown) => {
        throw new StepPending(`the builder droplet was not deleted (${describe(error)})`);
      });
      await this.record(metadata, nameBasedUuid(`${snapshotId}:ready`), {
        type: 'RecordSnapshotReady',
        data: { snapshotId },
      });
    },
  };

  private async delete(snapshotId: string, state: KnownSnapshot, metadata: MessageMetadata): Promise<void> {
    try {
      if (state.taken) {
        const cloud = await this.options.providers.digitalOceanFor(state.workspaceId);
        const present = (await cloud.listSnapshots()).some(
          (snapshot) => snapshot.id === state.taken!.providerSnapshotId,
        );
        if (present) await cloud.deleteSnapshot(state.taken.providerSnapshotId);
      }
      await this.record(metadata, nameBasedUuid(`${snapshotId}:deleted`), {
        type: 'RecordSnapshotDeleted',
        data: { snapshotId },
      });
    } catch (error) {
      await this.record(metadata, randomUUID(), {
        type: 'RecordSnapshotDeleteFailed',
        data: { snapshotId, reason: describe(error) },
      });
    }
  }

  private async fail(
    snapshotId: string,
    state: KnownSnapshot,
    metadata: MessageMetadata,
    step: SnapshotStep,
    reason: string,
  ): Promise<void> {
    this.options.logger.warn({ snapshotId, step, reason }, 'building a snapshot failed');
    const cleanup = await this.options.providers
      .digitalOceanFor(state.workspaceId)
      .then((cloud) => this.deleteBuilders(cloud, snapshotId))
      .then(
        () => '',
        (error: unknown) =>
          `; deleting the builder droplet failed too (${describe(error)}): delete droplets tagged ${builderTag(snapshotId)} in DigitalOcean`,
      );
    await this.record(metadata, nameBasedUuid(`${snapshotId}:failed`), {
      type: 'RecordSnapshotFailed',
      data: { snapshotId, step, reason: reason + cleanup },
    });
  }

  private async deleteBuilders(cloud: ProvisioningCloudProvider, snapshotId: string): Promise<void> {
    for (const builder of (await cloud.listServers()).filter((server) =>
      server.tags.includes(builderTag(snapshotId)),
    )) {
      await cloud.deleteServer(builder.id);
    }
  }

  private remaining(state: KnownSnapshot): number {
    return this.options.deadlineMs - (Date.now() - Date.parse(state.requestedAt));
  }

  private pastDeadline(state: KnownSnapshot): boolean {
    return this.remaining(state) < 0;
  }

  private async load(snapshotId: string): Promise<{ state: SnapshotState; metadata: MessageMetadata | undefined }> {
    const { state, events } = await this.options.commands.load(snapshotStreamId(snapshotId));
    return { state, metadata: stepMetadata(events[0], 'provisioner') };
  }

  private record(metadata: MessageMetadata, commandId: string, command: SnapshotProgressCommand) {
    return this.options.commands.record(metadata, commandId, command);
  }
}

function builderTag(snapshotId: string): string {
  return `snapshot-${snapshotId}`;
}

/** A step that is waiting for something outside (a builder booting): tried again until the deadline. */
class StepPending extends Error {}
