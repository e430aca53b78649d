/**
 * The provisioner's port to a cloud: it makes, lists, stops and deletes servers. Adapters (in libs/cloud): `local` (servers on
 * this machine, here) and, later, `digitalocean`.
 */
export interface ServerRequest {
  /** A name people recognise; not necessarily unique. */
  readonly name: string;
  readonly tags?: readonly string[];
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
  deleteServer(id: string): Promise<void>;
}

/** Every server the platform creates carries this tag; only those are listed as managed. */
export const MANAGED_SERVER_TAG = 'deployed-via-api';
