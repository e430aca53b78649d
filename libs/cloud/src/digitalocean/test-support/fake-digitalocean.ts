import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { components } from '../generated/do-api';
import { OpenApiContract, type MatchedOperation } from '../../test-support/openapi-contract';

type Schemas = components['schemas'];
type Droplet = Schemas['droplet'];
type Action = Schemas['action'];
type Snapshot = Schemas['snapshots'];

/** The official document, beside the repository (as CI lays it out too). */
export const DIGITALOCEAN_OPENAPI =
  process.env.DIGITALOCEAN_OPENAPI ??
  join(__dirname, '../../../../../../shared/apispecs/digitalocean/do-openapi-subset.bundled.yaml');

export interface FakeResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RecordedRequest {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

/** How actions of a type go: the status each poll of `/v2/actions/{id}` sees, the last one for good. */
export type ActionScript = readonly Action['status'][];

const REGION: Schemas['region'] = {
  slug: 'fra1',
  name: 'Frankfurt 1',
  available: true,
  features: ['backups', 'ipv6'],
  sizes: ['s-1vcpu-1gb', 's-2vcpu-2gb'],
};
const SIZE: Schemas['size'] = {
  slug: 's-1vcpu-1gb',
  description: 'Basic',
  memory: 1024,
  vcpus: 1,
  disk: 25,
  transfer: 1,
  price_monthly: 6,
  price_hourly: 0.00893,
  regions: ['fra1'],
  available: true,
};

let contract: OpenApiContract | undefined;

/** Parsing the document and compiling its schemas is the slow part: once per test file. */
function loadContract(): OpenApiContract {
  contract ??= new OpenApiContract(DIGITALOCEAN_OPENAPI);
  return contract;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A DigitalOcean API on 127.0.0.1 for contract tests: it checks every request against the official OpenAPI
 * document and answers only with responses that validate against it. Anything that does not is recorded in
 * `violations` (and a request the document rejects is answered 400), so a test fails on it.
 */
export class FakeDigitalOcean {
  readonly token = `dop_v1_${randomBytes(16).toString('hex')}`;
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly droplets = new Map<number, Droplet>();
  readonly actions = new Map<number, Action & { readonly script: ActionScript; polls: number; effect: () => void }>();
  readonly snapshots = new Map<string, Snapshot>();
  /** Action scripts by action type (`create`, `snapshot`, `shutdown`, …); in progress once, then completed, by default. */
  readonly actionScripts = new Map<string, ActionScript>();
  /** The user data each droplet was created with, by droplet id (a test can read its agent secret). */
  readonly userData = new Map<number, string>();
  /** The public address a droplet gets once it runs; a test that runs the droplet's agent itself points it at loopback. */
  addressOf: (dropletId: number) => string = (dropletId) => `203.0.113.${dropletId % 250}`;
  /** Called when a created droplet runs (with its address), and when a droplet is destroyed: a test can run its agent. */
  onDropletActive?: (droplet: Droplet, userData: string | undefined) => void;
  onDropletDestroyed?: (droplet: Droplet) => void;
  /** The account's container registry, once made (DOCR: one per account). */
  registry?: { name: string; region: string; created_at: string };
  /** The docker credentials handed out, newest last, by what was asked for. */
  readonly dockerCredentials: {
    readonly expirySeconds: number | null;
    readonly readWrite: boolean;
    readonly auth: string;
  }[] = [];
  /** What `ratelimit-remaining` says; it counts down with every request. */
  rateLimitRemaining = 4999;
  private readonly scripted = new Map<string, FakeResponse[]>();
  private nextId = 100_000;

  private constructor(
    private readonly server: Server,
    private readonly contract: OpenApiContract,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeDigitalOcean> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeDigitalOcean(
      server,
      loadContract(),
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      fake.handle(request, response).catch((error: unknown) => {
        fake.violations.push(`the fake failed: ${error instanceof Error ? error.stack : String(error)}`);
        response.destroy();
      });
    });
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next requests to this operation get these answers instead (each checked against the document too). */
  respondNext(operationId: string, ...responses: FakeResponse[]): void {
    this.scripted.set(operationId, [...(this.scripted.get(operationId) ?? []), ...responses]);
  }

  requestsTo(operationId: string): RecordedRequest[] {
    return this.requests.filter((request) => request.operationId === operationId);
  }

  addDroplet(overrides: Partial<Droplet> & { name: string }): Droplet {
    const id = this.nextId++;
    const droplet: Droplet = {
      id,
      memory: 1024,
      vcpus: 1,
      disk: 25,
      locked: false,
      status: 'active',
      created_at: new Date().toISOString(),
      features: [],
      backup_ids: [],
      next_backup_window: null,
      snapshot_ids: [],
      image: { id: 7, name: 'platform', type: 'snapshot', distribution: 'Ubuntu', public: false, regions: ['fra1'] },
      volume_ids: [],
      size: SIZE,
      size_slug: SIZE.slug,
      networks: {
        v4: [{ ip_address: `203.0.113.${id % 250}`, netmask: '255.255.240.0', gateway: '203.0.113.1', type: 'public' }],
        v6: [],
      },
      region: REGION,
      tags: [],
      ...overrides,
    };
    this.droplets.set(id, droplet);
    return droplet;
  }

  addSnapshot(overrides: Partial<Snapshot> & { name: string }): Snapshot {
    const snapshot: Snapshot = {
      id: String(this.nextId++),
      created_at: new Date().toISOString(),
      regions: ['fra1'],
      min_disk_size: 25,
      size_gigabytes: 2.3,
      resource_id: '1',
      resource_type: 'droplet',
      tags: [],
      ...overrides,
    };
    this.snapshots.set(snapshot.id, snapshot);
    return snapshot;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const text = await readBody(request);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      this.violations.push(`${request.method} ${url.pathname}: the body is not JSON`);
      body = text;
    }
    const method = request.method ?? 'GET';
    const operation = this.contract.match(method, url.pathname);
    if (!operation) {
      this.violations.push(`${method} ${url.pathname}: no such operation in the document`);
      this.send(response, undefined, {
        status: 404,
        body: { id: 'not_found', message: 'The resource you were accessing could not be found.' },
      });
      return;
    }
    const operationId = operation.operationId;
    this.requests.push({ operationId, method, path: url.pathname, query: url.searchParams, body });

    const problems = this.contract.checkRequest(operation, {
      method,
      path: url.pathname,
      query: url.searchParams,
      contentType: request.headers['content-type'],
      body,
    });
    if (problems.length > 0) {
      this.violations.push(`${operationId}: the document rejects the request: ${problems.join('; ')}`);
      this.send(response, operation, {
        status: 400,
        body: { id: 'bad_request', message: 'The request does not match the API document.' },
      });
      return;
    }
    // Documented in prose only: `tag_name` cannot be combined with `name` or `type`.
    if (
      operationId === 'droplets_list' &&
      url.searchParams.has('tag_name') &&
      (url.searchParams.has('name') || url.searchParams.has('type'))
    ) {
      this.violations.push('droplets_list: tag_name combined with name or type');
    }
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      this.send(response, operation, {
        status: 401,
        body: { id: 'unauthorized', message: 'Unable to authenticate you' },
      });
      return;
    }
    const scripted = this.scripted.get(operationId)?.shift();
    this.send(response, operation, scripted ?? this.answer(operationId, url, body));
  }

  private send(response: ServerResponse, operation: MatchedOperation | undefined, answer: FakeResponse): void {
    this.rateLimitRemaining = Math.max(0, this.rateLimitRemaining - 1);
    const headers: Record<string, string> = {
      'ratelimit-limit': '5000',
      'ratelimit-remaining': String(this.rateLimitRemaining),
      'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60),
      ...answer.headers,
    };
    const problems = operation ? this.contract.checkResponse(operation, answer.status, headers, answer.body) : [];
    if (problems.length > 0)
      this.violations.push(
        `${operation?.operationId}: the fake's ${answer.status} answer breaks the document: ${problems.join('; ')}`,
      );
    if (answer.body === undefined) {
      response.writeHead(answer.status, headers).end();
      return;
    }
    response
      .writeHead(answer.status, { ...headers, 'content-type': 'application/json; charset=utf-8' })
      .end(JSON.stringify(answer.body));
  }

  private notFound(): FakeResponse {
    return {
      status: 404,
      body: {
        id: 'not_found',
        message: 'The resource you were accessing could not be found.',
        request_id: 'b2d4e1c0-0000-4000-8000-000000000001',
      },
    };
  }

  private page<T>(url: URL, key: string, items: readonly T[]): FakeResponse {
    const page = Number(url.searchParams.get('page') ?? '1');
    const perPage = Number(url.searchParams.get('per_page') ?? '20');
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (number: number) => {
      const target = new URL(url.pathname, 'https://api.digitalocean.com');
      for (const [name, value] of url.searchParams) if (name !== 'page') target.searchParams.set(name, value);
      target.searchParams.set('page', String(number));
      return target.toString();
    };
    const pages =
      last === 1
        ? undefined
        : {
            ...(page > 1 ? { first: link(1), prev: link(page - 1) } : {}),
            ...(page < last ? { next: link(page + 1), last: link(last) } : {}),
          };
    return {
      status: 200,
      body: {
        [key]: items.slice((page - 1) * perPage, page * perPage),
        links: pages ? { pages } : {},
        meta: { total: items.length },
      },
    };
  }

  private startAction(type: string, resourceId: number, effect: () => void): Action {
    const id = this.nextId++;
    const action = {
      id,
      status: 'in-progress' as const,
      type,
      started_at: new Date().toISOString(),
      completed_at: null,
      resource_id: resourceId,
      resource_type: 'droplet',
      region: REGION,
      region_slug: REGION.slug,
    };
    this.actions.set(id, {
      ...action,
      script: this.actionScripts.get(type) ?? ['in-progress', 'completed'],
      polls: 0,
      effect,
    });
    return action;
  }

  private pollAction(id: number): Action | undefined {
    const tracked = this.actions.get(id);
    if (!tracked) return undefined;
    const status = tracked.script[Math.min(tracked.polls, tracked.script.length - 1)] ?? 'completed';
    tracked.polls++;
    if (status === 'completed' && tracked.status !== 'completed') tracked.effect();
    tracked.status = status;
    const { script: _script, polls: _polls, effect: _effect, ...action } = tracked;
    return { ...action, completed_at: status === 'in-progress' ? null : new Date().toISOString() };
  }

  private answer(operationId: string, url: URL, body: unknown): FakeResponse {
    const dropletId = Number(/\/v2\/droplets\/(\d+)/.exec(url.pathname)?.[1]);
    const droplet = this.droplets.get(dropletId);
    switch (operationId) {
      case 'account_get':
        return {
          status: 200,
          body: {
            account: {
              droplet_limit: 25,
              floating_ip_limit: 3,
              email: 'ops@example.test',
              uuid: 'b6fr89dbf6d9156cace5f3c78dc9851d957381ef',
              email_verified: true,
              status: 'active',
              status_message: '',
            },
          },
        };
      case 'droplets_list': {
        const tag = url.searchParams.get('tag_name');
        return this.page(
          url,
          'droplets',
          [...this.droplets.values()].filter((each) => tag === null || each.tags.includes(tag)),
        );
      }
      case 'droplets_create': {
        const request = body as Schemas['droplet_single_create'];
        const created = this.addDroplet({
          name: request.name,
          status: 'new',
          tags: request.tags ?? [],
          networks: { v4: [], v6: [] },
        });
        if (request.user_data) this.userData.set(created.id, request.user_data);
        const action = this.startAction('create', created.id, () => {
          const running = this.addressed({ ...created, status: 'active' });
          this.droplets.set(created.id, running);
          this.onDropletActive?.(running, this.userData.get(created.id));
        });
        return {
          status: 202,
          body: {
            droplet: created,
            links: {
              actions: [{ id: action.id, rel: 'create', href: `https://api.digitalocean.com/v2/actions/${action.id}` }],
            },
          },
        };
      }
      case 'droplets_get':
        return droplet ? { status: 200, body: { droplet } } : this.notFound();
      case 'droplets_destroy':
        if (!droplet) return this.notFound();
        this.droplets.delete(droplet.id);
        this.onDropletDestroyed?.(droplet);
        return { status: 204 };
      case 'dropletActions_post': {
        if (!droplet) return this.notFound();
        const request = body as { type: string; name?: string };
        const action = this.startAction(request.type, droplet.id, () => this.applyDropletAction(droplet.id, request));
        return { status: 201, body: { action } };
      }
      case 'actions_get': {
        const action = this.pollAction(Number(/\/v2\/actions\/(\d+)/.exec(url.pathname)?.[1]));
        return action ? { status: 200, body: { action } } : this.notFound();
      }
      case 'droplets_list_snapshots': {
        if (!droplet) return this.notFound();
        const ofDroplet = [...this.snapshots.values()].filter(
          (snapshot) => snapshot.resource_id === String(droplet.id),
        );
        return this.page(
          url,
          'snapshots',
          ofDroplet.map(({ resource_id: _resourceId, resource_type: _resourceType, tags: _tags, ...snapshot }) => ({
            ...snapshot,
            id: Number(snapshot.id),
            type: 'snapshot',
          })),
        );
      }
      case 'snapshots_list':
        return this.page(url, 'snapshots', [...this.snapshots.values()]);
      case 'snapshots_get': {
        const snapshot = this.snapshots.get(url.pathname.split('/').pop() ?? '');
        return snapshot ? { status: 200, body: { snapshot } } : this.notFound();
      }
      case 'snapshots_delete': {
        const id = url.pathname.split('/').pop() ?? '';
        if (!this.snapshots.delete(id)) return this.notFound();
        return { status: 204 };
      }
      case 'tags_assign_resources': {
        const tag = decodeURIComponent(url.pathname.split('/')[3] ?? '');
        for (const resource of (body as Schemas['tags_resource']).resources) {
          const snapshot = this.snapshots.get(resource.resource_id ?? '');
          if (snapshot)
            this.snapshots.set(snapshot.id, { ...snapshot, tags: [...new Set([...(snapshot.tags ?? []), tag])] });
        }
        return { status: 204 };
      }
      case 'registry_get':
        return this.registry ? { status: 200, body: { registry: this.registry } } : this.notFound();
      case 'registry_create': {
        if (this.registry)
          return { status: 409, body: { id: 'conflict', message: 'a registry exists already in this account' } };
        const { name, region } = body as { name: string; region?: string };
        this.registry = { name, region: region ?? 'fra1', created_at: new Date().toISOString() };
        return { status: 201, body: { registry: this.registry } };
      }
      case 'registry_get_dockerCredentials': {
        const expiry = url.searchParams.get('expiry_seconds');
        const readWrite = url.searchParams.get('read_write') === 'true';
        const auth = Buffer.from(`${randomBytes(8).toString('hex')}:${randomBytes(16).toString('hex')}`).toString(
          'base64',
        );
        this.dockerCredentials.push({ expirySeconds: expiry === null ? null : Number(expiry), readWrite, auth });
        return { status: 200, body: { auths: { 'registry.digitalocean.com': { auth } } } };
      }
      case 'regions_list':
        return this.page(url, 'regions', [REGION]);
      case 'sizes_list':
        return this.page(url, 'sizes', [SIZE]);
      default:
        this.violations.push(`${operationId}: the fake does not implement it`);
        return { status: 500, body: { id: 'server_error', message: 'Not implemented by the fake.' } };
    }
  }

  private addressed(droplet: Droplet): Droplet {
    return {
      ...droplet,
      networks: {
        v4: [
          { ip_address: this.addressOf(droplet.id), netmask: '255.255.240.0', gateway: '203.0.113.1', type: 'public' },
        ],
        v6: [],
      },
    };
  }

  private applyDropletAction(id: number, request: { type: string; name?: string }): void {
    const current = this.droplets.get(id);
    if (!current) return;
    if (request.type === 'shutdown' || request.type === 'power_off')
      this.droplets.set(id, { ...current, status: 'off' });
    if (request.type === 'power_on') this.droplets.set(id, { ...current, status: 'active' });
    if (request.type === 'snapshot')
      this.addSnapshot({ name: request.name ?? `${current.name}-snapshot`, resource_id: String(id), tags: null });
  }
}
