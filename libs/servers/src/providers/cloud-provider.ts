import { DomainError } from '@platform/contracts';

/**
 * The provisioner's port to a cloud: it makes, lists, stops and deletes servers. Adapters (in libs/cloud): `local`
 * (servers on this machine) and `digitalocean`, which also places servers, takes snapshots and has a catalogue.
 */
export interface ServerRequest {
  /** A name people recognise; not necessarily unique. */
  readonly name: string;
  readonly tags?: readonly string[];
  /** Region slug, where the cloud has regions; its default when omitted. */
  readonly region?: string;
  /** Size slug, where the cloud has sizes; its default when omitted. */
  readonly size?: string;
  /** What the server boots from, where the cloud boots images; its default when omitted. */
  readonly source?: ServerSource;
}

export type ServerStatus = 'running' | 'stopped';

export interface CloudServer {
  readonly id: string;
  readonly name: string;
  readonly status: ServerStatus;
  /** Where the server's apps answer (for requests carrying their hostname). */
  readonly publicIp: string;
  readonly edge: { readonly httpPort: number; readonly httpsPort: number };
  /** Where the platform reaches the server's agent. */
  readonly agentUrl: string;
  readonly tags: readonly string[];
  readonly createdAt: string;
}

/** A server just created, with the secret its agent checks requests against (shown this once). */
export interface CreatedServer extends CloudServer {
  readonly agentSecret: string;
}

export interface CloudProvider {
  readonly kind: string;
  createServer(request: ServerRequest): Promise<CreatedServer>;
  listServers(): Promise<CloudServer[]>;
  getServer(id: string): Promise<CloudServer | undefined>;
  stopServer(id: string): Promise<CloudServer>;
  startServer(id: string): Promise<CloudServer>;
  /** Refuses a server without the managed tag unless `force` (where a cloud holds servers the platform did not make). */
  deleteServer(id: string, options?: DeleteOptions): Promise<void>;
}

/** Every server the platform creates carries this tag; only those are listed as managed. */
export const MANAGED_SERVER_TAG = 'deployed-via-api';

/**
 * What the provisioner needs from a cloud that places servers in regions, boots them from snapshots and bills
 * for them, beyond the `CloudProvider` port: placement, snapshots, the catalogue of regions and sizes, and a
 * credentials check. DigitalOcean implements it.
 */

/** What a new server boots from. */
export type ServerSource =
  /** A snapshot that already carries Docker, nginx and the agent: the server is ready as soon as it boots. */
  | { readonly snapshotId: string }
  /** A stock operating system image (e.g. `ubuntu-24-04-x64`): cloud-init installs everything, as for a builder. */
  | { readonly baseImage: string };

export interface DeleteOptions {
  /** Delete even what does not carry the managed tag (the platform did not create it). */
  readonly force?: boolean;
}

export interface WaitOptions {
  readonly deadlineMs?: number;
  readonly pollIntervalMs?: number;
}

export interface CloudSnapshot {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  /** The server it was taken of, when the provider says. */
  readonly serverId?: string;
  readonly regions: readonly string[];
  readonly sizeGigabytes?: number;
  /** The smallest disk a server booted from it may have. */
  readonly minDiskGigabytes: number;
  readonly tags: readonly string[];
}

export interface CloudRegion {
  readonly slug: string;
  readonly name: string;
  readonly available: boolean;
  /** Size slugs offered in the region. */
  readonly sizes: readonly string[];
}

export interface CloudSize {
  readonly slug: string;
  readonly description: string;
  readonly vcpus: number;
  readonly memoryMegabytes: number;
  readonly diskGigabytes: number;
  readonly priceMonthlyUsd: number;
  readonly priceHourlyUsd: number;
  readonly available: boolean;
  readonly regions: readonly string[];
}

export interface CloudAccount {
  readonly id: string;
  readonly email: string;
  readonly status: string;
  /** How many servers the account may have at once. */
  readonly serverLimit: number;
}

export interface ProvisioningCloudProvider extends CloudProvider {
  /**
   * Creates the server and returns once it runs with a public address (its agent may still be starting). A server
   * that does not get there is deleted again before the error is thrown.
   */
  createServer(request: ServerRequest): Promise<CreatedServer>;
  /** Powers the server off (the snapshot is consistent), snapshots it and waits for the snapshot. */
  snapshotServer(id: string, name: string, options?: WaitOptions): Promise<CloudSnapshot>;
  /** The managed snapshots. */
  listSnapshots(): Promise<CloudSnapshot[]>;
  deleteSnapshot(id: string, options?: DeleteOptions): Promise<void>;
  listRegions(): Promise<CloudRegion[]>;
  listSizes(): Promise<CloudSize[]>;
  /** Checks the credentials by reading the account; fails with `unauthorized` when they do not work. */
  verifyCredentials(): Promise<CloudAccount>;
}

/** A refusal to touch something the platform did not create (it lacks the managed tag). */
export class UnmanagedResourceError extends DomainError {
  constructor(
    /** What was refused, as a person names it: "droplet 42 (web-1)". */
    readonly resource: string,
    readonly operation: 'delete' | 'power off' | 'power on' | 'snapshot',
    readonly forceAllowed: boolean,
  ) {
    super(
      'conflict',
      `the platform did not create ${resource}: it lacks the managed tag "${MANAGED_SERVER_TAG}". Refusing to ${operation} it; ` +
        (forceAllowed ? `repeat with force=true to ${operation} it anyway.` : 'manage it outside the platform.'),
    );
    this.name = 'UnmanagedResourceError';
  }
}
