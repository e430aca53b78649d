import createClient, { type Client } from 'openapi-fetch';
import { z } from 'zod';
import { DomainError } from '@platform/contracts';
import { DigitalOceanActionError, DigitalOceanError, digitalOceanErrorFrom } from './errors';
import type { components, operations, paths } from './generated/do-api';
import {
  DEFAULT_RETRY_POLICY,
  ResilientTransport,
  systemClock,
  type Clock,
  type RetryPolicy,
  type TransportEvent,
} from './transport';

type Schemas = components['schemas'];
export type Droplet = Schemas['droplet'];
export type DropletCreateRequest = Schemas['droplet_single_create'];
export type DigitalOceanAction = Schemas['action'];
export type DigitalOceanAccount = Schemas['account'];
/** A snapshot as `/v2/snapshots` lists it (its id a string). */
export type DigitalOceanSnapshot = Schemas['snapshots'];
/** A snapshot as `/v2/droplets/{id}/snapshots` lists it (its id a number). */
export type DropletSnapshot = Schemas['droplet_snapshot'];
export type DigitalOceanRegion = Schemas['region'];
export type DigitalOceanSize = Schemas['size'];
export type DigitalOceanRegistry = Schemas['registry'];
export type DigitalOceanRegistryCreateRequest = Schemas['registry_create'];
type DropletActionBody = NonNullable<operations['dropletActions_post']['requestBody']>['content']['application/json'];
type TagResource = Schemas['tags_resource']['resources'][number];

/** The droplet actions the platform takes. */
export type DropletActionRequest =
  { readonly type: 'power_off' | 'power_on' | 'shutdown' } | { readonly type: 'snapshot'; readonly name: string };

export const DIGITALOCEAN_API_URL = 'https://api.digitalocean.com';
/** DigitalOcean's largest page: the fewest requests against the rate limit. */
export const PAGE_SIZE = 200;
/** Far more pages than any account has; a bound so that a server looping on `next` cannot hold us forever. */
const MAX_PAGES = 1000;

export interface DigitalOceanApiOptions {
  /** A DigitalOcean API token. Kept in the HTTP client's closure only, never on this object, never logged. */
  readonly token: string;
  readonly baseUrl?: string;
  readonly retry?: Partial<RetryPolicy>;
  readonly clock?: Partial<Clock>;
  /** Retries, rate-limit waits and slow-downs, for logs; events carry no header, body or token. */
  readonly onEvent?: (event: TransportEvent) => void;
}

export interface ActionWaitOptions {
  /** How long the action may take before waiting for it fails with `timeout`. */
  readonly deadlineMs?: number;
  readonly pollIntervalMs?: number;
}

const DEFAULT_ACTION_DEADLINE_MS = 10 * 60_000;
const DEFAULT_ACTION_POLL_MS = 5_000;

/** `links.pages.next`, when there is a next page: typed `unknown` by the document, so checked here. */
const PageLinksSchema = z.object({ pages: z.object({ next: z.string().optional() }).optional() }).optional();

function nextPageAfter(links: unknown, current: number): number | undefined {
  const parsed = PageLinksSchema.safeParse(links);
  const next = parsed.success ? parsed.data?.pages?.next : undefined;
  if (next === undefined) return undefined;
  // Only the page number is taken from the link: requests always go to the configured base URL.
  const page = Number(new URL(next, DIGITALOCEAN_API_URL).searchParams.get('page'));
  return Number.isInteger(page) && page > current ? page : undefined;
}

interface ApiResult<D> {
  readonly data?: D;
  readonly error?: unknown;
  readonly response: Response;
}

/**
 * The DigitalOcean API v2, typed from the official OpenAPI document (see `generated/`), over a transport that
 * respects the rate limit and retries what may be retried. Lists are read over every page; failures are
 * DigitalOceanErrors that say what to do.
 */
export class DigitalOceanApi {
  /** The typed HTTP client, for requests this class has no method for. */
  readonly http: Client<paths>;
  private readonly clock: Clock;

  constructor(options: DigitalOceanApiOptions) {
    if (!/^\S{16,}$/.test(options.token)) {
      throw new DomainError(
        'validation_failed',
        'the DigitalOcean token is missing or malformed; save the token DigitalOcean showed when it was made',
      );
    }
    this.clock = { ...systemClock, ...options.clock };
    const transport = new ResilientTransport(
      { ...DEFAULT_RETRY_POLICY, ...options.retry },
      this.clock,
      options.onEvent,
    );
    this.http = createClient<paths>({
      baseUrl: options.baseUrl ?? DIGITALOCEAN_API_URL,
      headers: { Authorization: `Bearer ${options.token}` },
      fetch: transport.fetch,
    });
  }

  async getAccount(): Promise<DigitalOceanAccount> {
    const data = await this.ok('read the account', this.http.GET('/v2/account'));
    if (!data.account) throw new DigitalOceanError('internal', 'DigitalOcean answered without the account');
    return data.account;
  }

  /** Every droplet, or every droplet with a tag, over all pages. */
  async listDroplets(filter: { readonly tagName?: string } = {}): Promise<Droplet[]> {
    const attempt = filter.tagName === undefined ? 'list droplets' : `list droplets tagged ${filter.tagName}`;
    return this.everyPage(async (page) => {
      const query = {
        page,
        per_page: PAGE_SIZE,
        ...(filter.tagName === undefined ? {} : { tag_name: filter.tagName }),
      };
      const data = await this.ok(attempt, this.http.GET('/v2/droplets', { params: { query } }));
      return { items: data.droplets ?? [], links: data.links };
    });
  }

  /** The droplet; a droplet DigitalOcean does not know fails with `not_found`. */
  async getDroplet(dropletId: number): Promise<Droplet> {
    const data = await this.ok(
      `read droplet ${dropletId}`,
      this.http.GET('/v2/droplets/{droplet_id}', { params: { path: { droplet_id: dropletId } } }),
    );
    if (!data.droplet) throw new DigitalOceanError('internal', `DigitalOcean answered without droplet ${dropletId}`);
    return data.droplet;
  }

  /** Starts creating a droplet; the returned action id tracks the creation. */
  async createDroplet(request: DropletCreateRequest): Promise<{ droplet: Droplet; actionId?: number }> {
    const data = await this.ok(`create droplet ${request.name}`, this.http.POST('/v2/droplets', { body: request }));
    if (!('droplet' in data))
      throw new DigitalOceanError(
        'internal',
        `DigitalOcean answered the creation of ${request.name} with several droplets`,
      );
    return { droplet: data.droplet, actionId: data.links.actions?.[0]?.id };
  }

  async deleteDroplet(dropletId: number): Promise<void> {
    await this.done(
      `delete droplet ${dropletId}`,
      this.http.DELETE('/v2/droplets/{droplet_id}', { params: { path: { droplet_id: dropletId } } }),
    );
  }

  async startDropletAction(dropletId: number, action: DropletActionRequest): Promise<DigitalOceanAction> {
    // openapi-typescript narrows `droplet_action_snapshot` to `type: never` (it intersects the discriminator's
    // mapping with the base schema's enum); the document itself accepts this body, and the contract tests check
    // every body sent against the document.
    const body = action as unknown as DropletActionBody;
    const data = await this.ok(
      `${action.type.replace('_', ' ')} droplet ${dropletId}`,
      this.http.POST('/v2/droplets/{droplet_id}/actions', { params: { path: { droplet_id: dropletId } }, body }),
    );
    if (!data.action)
      throw new DigitalOceanError(
        'internal',
        `DigitalOcean accepted the ${action.type} of droplet ${dropletId} without an action`,
      );
    return data.action;
  }

  async getAction(actionId: number): Promise<DigitalOceanAction> {
    const data = await this.ok(
      `read action ${actionId}`,
      this.http.GET('/v2/actions/{action_id}', { params: { path: { action_id: actionId } } }),
    );
    if (!data.action) throw new DigitalOceanError('internal', `DigitalOcean answered without action ${actionId}`);
    return data.action;
  }

  /** Polls the action until it completes; fails when it errors or outlasts the deadline. */
  async waitForAction(actionId: number, options: ActionWaitOptions = {}): Promise<DigitalOceanAction> {
    const deadlineMs = options.deadlineMs ?? DEFAULT_ACTION_DEADLINE_MS;
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_ACTION_POLL_MS;
    const deadline = this.clock.now() + deadlineMs;
    for (;;) {
      const action = await this.getAction(actionId);
      if (action.status === 'completed') return action;
      if (action.status === 'errored') throw new DigitalOceanActionError(action);
      if (this.clock.now() + pollIntervalMs > deadline) {
        throw new DigitalOceanError(
          'timeout',
          `DigitalOcean action ${actionId} (${action.type ?? 'unknown type'}) is still ${action.status} after ${Math.round(deadlineMs / 1000)} s; ` +
            'check it in the DigitalOcean control panel before trying again',
        );
      }
      await this.clock.sleep(pollIntervalMs);
    }
  }

  /** Polls the droplet until it is as wanted (`ready`); fails with `timeout` after the deadline. */
  async waitForDroplet(
    dropletId: number,
    ready: (droplet: Droplet) => boolean,
    options: ActionWaitOptions & { readonly waitingFor: string },
  ): Promise<Droplet> {
    const deadlineMs = options.deadlineMs ?? DEFAULT_ACTION_DEADLINE_MS;
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_ACTION_POLL_MS;
    const deadline = this.clock.now() + deadlineMs;
    for (;;) {
      const droplet = await this.getDroplet(dropletId);
      if (ready(droplet)) return droplet;
      if (this.clock.now() + pollIntervalMs > deadline) {
        throw new DigitalOceanError(
          'timeout',
          `droplet ${dropletId} (${droplet.name}) is still ${droplet.status} after ${Math.round(deadlineMs / 1000)} s of waiting for ${options.waitingFor}`,
        );
      }
      await this.clock.sleep(pollIntervalMs);
    }
  }

  async listDropletSnapshots(dropletId: number): Promise<DropletSnapshot[]> {
    return this.everyPage(async (page) => {
      const data = await this.ok(
        `list the snapshots of droplet ${dropletId}`,
        this.http.GET('/v2/droplets/{droplet_id}/snapshots', {
          params: { path: { droplet_id: dropletId }, query: { page, per_page: PAGE_SIZE } },
        }),
      );
      return { items: data.snapshots ?? [], links: data.links };
    });
  }

  /** Every droplet snapshot of the account, over all pages. */
  async listSnapshots(): Promise<DigitalOceanSnapshot[]> {
    return this.everyPage(async (page) => {
      const data = await this.ok(
        'list snapshots',
        this.http.GET('/v2/snapshots', { params: { query: { page, per_page: PAGE_SIZE, resource_type: 'droplet' } } }),
      );
      return { items: data.snapshots ?? [], links: data.links };
    });
  }

  /** The snapshot; a snapshot DigitalOcean does not know fails with `not_found`. */
  async getSnapshot(snapshotId: string): Promise<DigitalOceanSnapshot> {
    const data = await this.ok(
      `read snapshot ${snapshotId}`,
      this.http.GET('/v2/snapshots/{snapshot_id}', { params: { path: { snapshot_id: snapshotId } } }),
    );
    if (!data.snapshot) throw new DigitalOceanError('internal', `DigitalOcean answered without snapshot ${snapshotId}`);
    return data.snapshot;
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    await this.done(
      `delete snapshot ${snapshotId}`,
      this.http.DELETE('/v2/snapshots/{snapshot_id}', { params: { path: { snapshot_id: snapshotId } } }),
    );
  }

  async tagResources(tag: string, resources: readonly TagResource[]): Promise<void> {
    await this.done(
      `tag ${resources.length} resource(s) ${tag}`,
      this.http.POST('/v2/tags/{tag_id}/resources', {
        params: { path: { tag_id: tag } },
        body: { resources: [...resources] },
      }),
    );
  }

  async listRegions(): Promise<DigitalOceanRegion[]> {
    return this.everyPage(async (page) => {
      const data = await this.ok(
        'list regions',
        this.http.GET('/v2/regions', { params: { query: { page, per_page: PAGE_SIZE } } }),
      );
      return { items: data.regions, links: data.links };
    });
  }

  async listSizes(): Promise<DigitalOceanSize[]> {
    return this.everyPage(async (page) => {
      const data = await this.ok(
        'list sizes',
        this.http.GET('/v2/sizes', { params: { query: { page, per_page: PAGE_SIZE } } }),
      );
      return { items: data.sizes, links: data.links };
    });
  }

  /** The account's container registry (DOCR), or undefined when it has none. */
  async getRegistry(): Promise<DigitalOceanRegistry | undefined> {
    const { data, error, response } = await this.http.GET('/v2/registry');
    if (response.status === 404) return undefined;
    if (!response.ok) throw digitalOceanErrorFrom(response, error, 'read the container registry');
    if (!data?.registry) throw new DigitalOceanError('internal', 'DigitalOcean answered without the registry');
    return data.registry;
  }

  async createRegistry(request: DigitalOceanRegistryCreateRequest): Promise<DigitalOceanRegistry> {
    const data = await this.ok(
      `create the container registry ${request.name}`,
      this.http.POST('/v2/registry', { body: request }),
    );
    if (!data.registry) throw new DigitalOceanError('internal', 'DigitalOcean answered without the registry');
    return data.registry;
  }

  /** Docker credentials for the registry (a config.json's `auths`), read-only unless `readWrite`, expiring. */
  async dockerCredentials(options: {
    readonly expirySeconds: number;
    readonly readWrite: boolean;
  }): Promise<{ auths: Record<string, { auth?: string }> }> {
    const data = await this.ok(
      'read docker credentials for the container registry',
      this.http.GET('/v2/registry/docker-credentials', {
        params: { query: { expiry_seconds: options.expirySeconds, read_write: options.readWrite } },
      }),
    );
    return { auths: { ...(data.auths ?? {}) } };
  }

  /** Reads page after page while `links.pages.next` names a later one. */
  private async everyPage<T>(readPage: (page: number) => Promise<{ items: T[]; links: unknown }>): Promise<T[]> {
    const all: T[] = [];
    let page: number | undefined = 1;
    for (let pagesRead = 0; page !== undefined; pagesRead++) {
      if (pagesRead >= MAX_PAGES)
        throw new DigitalOceanError(
          'internal',
          `DigitalOcean kept answering with a next page after ${MAX_PAGES} pages`,
        );
      const { items, links } = await readPage(page);
      all.push(...items);
      page = nextPageAfter(links, page);
    }
    return all;
  }

  private async ok<D>(attempt: string, pending: Promise<ApiResult<D>>): Promise<D> {
    const { data, error, response } = await pending;
    if (!response.ok) throw digitalOceanErrorFrom(response, error, attempt);
    if (data === undefined)
      throw new DigitalOceanError(
        'internal',
        `DigitalOcean answered HTTP ${response.status} without a body when trying to ${attempt}`,
      );
    return data;
  }

  private async done(attempt: string, pending: Promise<ApiResult<unknown>>): Promise<void> {
    const { error, response } = await pending;
    if (!response.ok) throw digitalOceanErrorFrom(response, error, attempt);
  }
}
