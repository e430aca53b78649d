import { z } from 'zod';
import { agentServerName, generateAgentSecret } from '@platform/agent-protocol';
import { DomainError, parseOrThrow } from '@platform/contracts';
import type { PlatformCertificateAuthority } from '@platform/secrets';
import {
  DEFAULT_AGENT_PORT,
  renderPlatformServerUserData,
  type AgentTarball,
  type ServerBase,
} from '../cloud-init/platform-server';
import {
  MANAGED_SERVER_TAG,
  UnmanagedResourceError,
  type CloudServer,
  type CreatedServer,
  type CloudAccount,
  type CloudRegion,
  type CloudSize,
  type CloudSnapshot,
  type DeleteOptions,
  type ServerRequest,
  type ProvisioningCloudProvider,
  type ServerSource,
  type WaitOptions,
} from '../cloud-provider';
import type { DigitalOceanApi, DigitalOceanSnapshot, Droplet, DropletSnapshot } from './client';
import { DigitalOceanActionError, DigitalOceanError } from './errors';

export interface DigitalOceanCloudOptions {
  /** Used when a request names no region, size or source. */
  readonly defaults: {
    readonly region: string;
    readonly size: string;
    /** A platform snapshot (Docker, nginx and the agent installed) to boot new servers from. */
    readonly snapshotId?: string;
  };
  readonly agent: {
    readonly port?: number;
    /**
     * The address or CIDR block the platform reaches agents from; the firewall opens the agent port to it alone.
     * Without it the adapter still reads (account, catalogue, snapshots) but makes no server.
     */
    readonly platformAddress?: string;
    /** Issues each server's agent certificate (in its user data); like the platform address, needed to make servers. */
    readonly ca?: PlatformCertificateAuthority;
    /** The agent release to install on servers made from a base image (snapshot builders). */
    readonly tarball?: AgentTarball;
    /** The agent version those servers get; the platform's expected version by default. */
    readonly version?: string;
  };
  readonly timing?: {
    /** Until a new droplet runs with an address. */
    readonly createDeadlineMs?: number;
    /** For a shutdown, a power off or a power on. */
    readonly powerDeadlineMs?: number;
    readonly snapshotDeadlineMs?: number;
    readonly pollIntervalMs?: number;
  };
}

/** A droplet as a platform server, with what DigitalOcean adds. */
export interface DigitalOceanServer extends CloudServer {
  /** DigitalOcean's own status: `new` while it is being created, `archive` once destroyed. */
  readonly dropletStatus: Droplet['status'];
  readonly region: string;
  readonly size: string;
}

export type DigitalOceanCreatedServer = DigitalOceanServer & CreatedServer;

const MINUTE = 60_000;

// Hostname-like names: DigitalOcean's own rule, and nothing a shell or a config file could misread.
const DropletNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/,
    'must be a hostname: letters, digits, "." and "-", starting and ending with a letter or digit',
  );
const TagSchema = z
  .string()
  .regex(/^[A-Za-z0-9_:-]{1,255}$/, 'must be letters, digits, "_", ":" and "-", at most 255 characters');
const SlugSchema = z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a slug: lower-case letters, digits and "-"');
const SnapshotNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,254}$/, 'must be letters, digits, spaces, ".", "_", ":" and "-"');
const SnapshotIdSchema = z.string().regex(/^[0-9]{1,19}$/, 'must be a DigitalOcean snapshot id (digits)');

const CreateRequestSchema = z.object({
  name: DropletNameSchema,
  tags: z.array(TagSchema).max(50).optional(),
  region: SlugSchema.optional(),
  size: SlugSchema.optional(),
  source: z.union([z.object({ snapshotId: SnapshotIdSchema }), z.object({ baseImage: SlugSchema })]).optional(),
});

function dropletId(serverId: string): number | undefined {
  return /^[0-9]{1,15}$/.test(serverId) ? Number(serverId) : undefined;
}

function isNotFound(error: unknown): boolean {
  return error instanceof DigitalOceanError && error.code === 'not_found';
}

function publicIpv4(droplet: Droplet): string | undefined {
  return droplet.networks.v4?.find((network) => network.type === 'public')?.ip_address;
}

function describeDroplet(droplet: Droplet): string {
  return `droplet ${droplet.id} (${droplet.name})`;
}

/**
 * DigitalOcean as a platform cloud. Servers are droplets tagged `deployed-via-api`; only those are listed, and
 * the rest are never powered off, snapshotted or (without `force`) deleted. A new server boots a platform snapshot
 * (or a base image, for a snapshot builder) with cloud-init user data that gives it its own agent secret and
 * firewall; the secret is returned once, with the created server.
 */
export class DigitalOceanCloudProvider implements ProvisioningCloudProvider {
  readonly kind = 'digitalocean';

  constructor(
    private readonly api: DigitalOceanApi,
    private readonly options: DigitalOceanCloudOptions,
  ) {}

  private get agentPort(): number {
    return this.options.agent.port ?? DEFAULT_AGENT_PORT;
  }

  private get pollIntervalMs(): number {
    return this.options.timing?.pollIntervalMs ?? 5_000;
  }

  async createServer(request: ServerRequest): Promise<DigitalOceanCreatedServer> {
    const valid = parseOrThrow(CreateRequestSchema, request, 'the server request');
    const source = valid.source ?? this.defaultSource();
    const { platformAddress, ca } = this.options.agent;
    if (!platformAddress) {
      throw new DomainError(
        'validation_failed',
        "no platform address to open the servers' agent port to: set the provisioner's PLATFORM_PUBLIC_ADDRESS",
      );
    }
    if (!ca) throw new DomainError('internal', 'this DigitalOcean adapter has no CA to issue agent certificates with');
    const agentSecret = generateAgentSecret();
    // The droplet's address is known only once it exists: its certificate names the server by its secret.
    const tls = await ca.issueServerCertificate({ name: agentServerName(agentSecret) });
    const userData = renderPlatformServerUserData({
      base: this.baseOf(source),
      agent: { secret: agentSecret, tls, port: this.agentPort, version: this.options.agent.version },
      platformAddress,
    });
    const { droplet, actionId } = await this.api.createDroplet({
      name: valid.name,
      region: valid.region ?? this.options.defaults.region,
      size: valid.size ?? this.options.defaults.size,
      image: 'snapshotId' in source ? Number(source.snapshotId) : source.baseImage,
      tags: [...new Set([MANAGED_SERVER_TAG, ...(valid.tags ?? [])])],
      user_data: userData.reveal(),
    });
    try {
      const running = await this.waitUntilRunning(droplet.id, actionId);
      return { ...this.view(running), agentSecret };
    } catch (error) {
      // A droplet that never came up costs money and holds a secret nobody recorded; the original failure is
      // what the caller needs to see, so a failed clean-up does not replace it.
      await this.api.deleteDroplet(droplet.id).catch(() => undefined);
      throw error;
    }
  }

  /** The managed servers, over every page. */
  async listServers(): Promise<DigitalOceanServer[]> {
    const droplets = await this.api.listDroplets({ tagName: MANAGED_SERVER_TAG });
    return droplets.map((droplet) => this.view(droplet));
  }

  /** The droplet, managed or not (its tags tell), or undefined when DigitalOcean does not know it. */
  async getServer(id: string): Promise<DigitalOceanServer | undefined> {
    const numericId = dropletId(id);
    if (numericId === undefined) return undefined;
    try {
      return this.view(await this.api.getDroplet(numericId));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Shuts the server down, forcing the power off when a clean shutdown fails. */
  async stopServer(id: string): Promise<DigitalOceanServer> {
    const droplet = await this.managedDroplet(id, 'power off');
    return this.view(await this.powerOff(droplet));
  }

  async startServer(id: string): Promise<DigitalOceanServer> {
    const droplet = await this.managedDroplet(id, 'power on');
    if (droplet.status === 'active') return this.view(droplet);
    await this.runAction(droplet.id, { type: 'power_on' }, this.options.timing?.powerDeadlineMs ?? 5 * MINUTE);
    return this.view(await this.api.getDroplet(droplet.id));
  }

  async deleteServer(id: string, options: DeleteOptions = {}): Promise<void> {
    const droplet = await this.api.getDroplet(this.requireDropletId(id));
    if (!droplet.tags.includes(MANAGED_SERVER_TAG) && !options.force) {
      throw new UnmanagedResourceError(describeDroplet(droplet), 'delete', true);
    }
    await this.api.deleteDroplet(droplet.id);
  }

  async snapshotServer(id: string, name: string, options: WaitOptions = {}): Promise<CloudSnapshot> {
    const snapshotName = parseOrThrow(SnapshotNameSchema, name, 'the snapshot name');
    const droplet = await this.powerOff(await this.managedDroplet(id, 'snapshot'));
    await this.runAction(
      droplet.id,
      { type: 'snapshot', name: snapshotName },
      options.deadlineMs ?? this.options.timing?.snapshotDeadlineMs ?? 60 * MINUTE,
      options.pollIntervalMs,
    );
    const taken = (await this.api.listDropletSnapshots(droplet.id))
      .filter((snapshot) => snapshot.name === snapshotName)
      .sort((a, b) => b.created_at.localeCompare(a.created_at))[0];
    if (!taken) {
      throw new DigitalOceanError(
        'internal',
        `DigitalOcean completed the snapshot "${snapshotName}" of ${describeDroplet(droplet)} but does not list it; look for it in the control panel`,
      );
    }
    await this.api.tagResources(MANAGED_SERVER_TAG, [{ resource_id: String(taken.id), resource_type: 'image' }]);
    return this.viewDropletSnapshot(taken, droplet.id);
  }

  /** The managed snapshots, over every page. */
  async listSnapshots(): Promise<CloudSnapshot[]> {
    const snapshots = await this.api.listSnapshots();
    return snapshots
      .filter((snapshot) => (snapshot.tags ?? []).includes(MANAGED_SERVER_TAG))
      .map((snapshot) => this.viewSnapshot(snapshot));
  }

  async deleteSnapshot(id: string, options: DeleteOptions = {}): Promise<void> {
    const snapshot = await this.api.getSnapshot(parseOrThrow(SnapshotIdSchema, id, 'the snapshot id'));
    if (!(snapshot.tags ?? []).includes(MANAGED_SERVER_TAG) && !options.force) {
      throw new UnmanagedResourceError(`snapshot ${snapshot.id} (${snapshot.name})`, 'delete', true);
    }
    await this.api.deleteSnapshot(snapshot.id);
  }

  async listRegions(): Promise<CloudRegion[]> {
    const regions = await this.api.listRegions();
    return regions.map((region) => ({
      slug: region.slug,
      name: region.name,
      available: region.available,
      sizes: region.sizes,
    }));
  }

  async listSizes(): Promise<CloudSize[]> {
    const sizes = await this.api.listSizes();
    return sizes.map((size) => ({
      slug: size.slug,
      description: size.description,
      vcpus: size.vcpus,
      memoryMegabytes: size.memory,
      diskGigabytes: size.disk,
      priceMonthlyUsd: size.price_monthly,
      priceHourlyUsd: size.price_hourly,
      available: size.available,
      regions: size.regions,
    }));
  }

  async verifyCredentials(): Promise<CloudAccount> {
    const account = await this.api.getAccount();
    if (account.status === 'locked') {
      throw new DomainError(
        'forbidden',
        `the DigitalOcean account ${account.email} is locked (${account.status_message}); unlock it with DigitalOcean before saving its token`,
      );
    }
    return { id: account.uuid, email: account.email, status: account.status, serverLimit: account.droplet_limit };
  }

  private defaultSource(): ServerSource {
    const snapshotId = this.options.defaults.snapshotId;
    if (snapshotId === undefined) {
      throw new DomainError(
        'validation_failed',
        'no snapshot to boot the server from: name one, or build a platform snapshot first',
      );
    }
    return { snapshotId };
  }

  private baseOf(source: ServerSource): ServerBase {
    if ('snapshotId' in source) return { kind: 'platform-snapshot' };
    const tarball = this.options.agent.tarball;
    if (!tarball) {
      throw new DomainError(
        'validation_failed',
        `a server from the base image ${source.baseImage} needs the agent release to install: set the agent tarball`,
      );
    }
    return { kind: 'fresh-ubuntu', agentTarball: tarball };
  }

  private requireDropletId(id: string): number {
    const numericId = dropletId(id);
    if (numericId === undefined)
      throw new DomainError('not_found', `no DigitalOcean droplet ${JSON.stringify(id)}: droplet ids are numbers`);
    return numericId;
  }

  private async managedDroplet(id: string, operation: 'power off' | 'power on' | 'snapshot'): Promise<Droplet> {
    const droplet = await this.api.getDroplet(this.requireDropletId(id));
    if (!droplet.tags.includes(MANAGED_SERVER_TAG))
      throw new UnmanagedResourceError(describeDroplet(droplet), operation, false);
    return droplet;
  }

  private async runAction(
    id: number,
    action: Parameters<DigitalOceanApi['startDropletAction']>[1],
    deadlineMs: number,
    pollIntervalMs = this.pollIntervalMs,
  ): Promise<void> {
    const started = await this.api.startDropletAction(id, action);
    if (started.id === undefined)
      throw new DigitalOceanError(
        'internal',
        `DigitalOcean started the ${action.type} of droplet ${id} without an action id to follow`,
      );
    await this.api.waitForAction(started.id, { deadlineMs, pollIntervalMs });
  }

  /**
   * A clean shutdown first (a snapshot of a cleanly stopped disk boots cleanly), then a hard power off when the
   * shutdown fails or leaves the droplet running.
   */
  private async powerOff(droplet: Droplet): Promise<Droplet> {
    if (droplet.status === 'off') return droplet;
    const deadlineMs = this.options.timing?.powerDeadlineMs ?? 5 * MINUTE;
    try {
      await this.runAction(droplet.id, { type: 'shutdown' }, deadlineMs);
    } catch (error) {
      const shutdownFailed =
        error instanceof DigitalOceanActionError || (error instanceof DigitalOceanError && error.code === 'timeout');
      if (!shutdownFailed) throw error;
    }
    const afterShutdown = await this.api.getDroplet(droplet.id);
    if (afterShutdown.status === 'off') return afterShutdown;
    await this.runAction(droplet.id, { type: 'power_off' }, deadlineMs);
    return this.api.getDroplet(droplet.id);
  }

  private async waitUntilRunning(id: number, createActionId: number | undefined): Promise<Droplet> {
    const wait = {
      deadlineMs: this.options.timing?.createDeadlineMs ?? 10 * MINUTE,
      pollIntervalMs: this.pollIntervalMs,
    };
    if (createActionId !== undefined) await this.api.waitForAction(createActionId, wait);
    return this.api.waitForDroplet(id, (droplet) => droplet.status === 'active' && publicIpv4(droplet) !== undefined, {
      ...wait,
      waitingFor: 'it to run with a public address',
    });
  }

  private view(droplet: Droplet): DigitalOceanServer {
    const ip = publicIpv4(droplet) ?? '';
    return {
      id: String(droplet.id),
      name: droplet.name,
      status: droplet.status === 'active' ? 'running' : 'stopped',
      publicIp: ip,
      edge: { httpPort: 80, httpsPort: 443 },
      agentUrl: ip ? `https://${ip}:${this.agentPort}` : '',
      tags: droplet.tags,
      createdAt: droplet.created_at,
      dropletStatus: droplet.status,
      region: droplet.region.slug,
      size: droplet.size_slug,
    };
  }

  private viewDropletSnapshot(snapshot: DropletSnapshot, serverId: number): CloudSnapshot {
    return {
      id: String(snapshot.id),
      name: snapshot.name,
      createdAt: snapshot.created_at,
      serverId: String(serverId),
      regions: snapshot.regions,
      sizeGigabytes: snapshot.size_gigabytes,
      minDiskGigabytes: snapshot.min_disk_size,
      tags: [MANAGED_SERVER_TAG],
    };
  }

  private viewSnapshot(snapshot: DigitalOceanSnapshot): CloudSnapshot {
    return {
      id: snapshot.id,
      name: snapshot.name,
      createdAt: snapshot.created_at,
      serverId: snapshot.resource_id,
      regions: snapshot.regions,
      sizeGigabytes: snapshot.size_gigabytes,
      minDiskGigabytes: snapshot.min_disk_size,
      tags: snapshot.tags ?? [],
    };
  }
}
