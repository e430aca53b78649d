import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { OpenApiContract } from '../../test-support/openapi-contract';

/** The official document, beside the repository (as CI lays it out too). */
export const CLOUDFLARE_OPENAPI =
  process.env.CLOUDFLARE_OPENAPI ??
  join(__dirname, '../../../../../../shared/apispecs/cloudflare/cf-openapi-subset.json');

/** The document's paths are relative to its server, `https://api.cloudflare.com/client/v4`. */
const BASE_PATH = '/client/v4';

let contract: OpenApiContract | undefined;

export interface FakeZone {
  readonly id: string;
  readonly name: string;
  /** The zone's SSL/TLS encryption mode (`GET /zones/{id}/settings/ssl`). */
  ssl: 'off' | 'flexible' | 'full' | 'strict';
}

export interface FakeDnsRecord {
  readonly id: string;
  readonly zoneId: string;
  type: string;
  name: string;
  content: string;
  proxied: boolean;
  ttl: number;
  comment: string | null;
  readonly createdOn: string;
  modifiedOn: string;
}

/** One request the fake answered (or failed on purpose), in order. */
export interface RecordedCloudflareCall {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** What it answered: a status, or `timeout` when it answered nothing. */
  readonly outcome: number | 'timeout';
}

/** A failure the next matching calls get instead of their answer. */
export interface InjectedFailure {
  readonly operationId?: string;
  /** 429 or 5xx, answered in Cloudflare's error shape; `timeout` holds the connection without answering. */
  readonly answer: number | 'timeout';
  /** How many calls get it. */
  times: number;
  /** Carry out the call first, then fail (a create that happened although its caller saw an error). */
  readonly afterApplying?: boolean;
}

const failure = (code: number, message: string) => ({
  success: false,
  errors: [{ code, message }],
  messages: [],
  result: null,
});

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

/**
 * A Cloudflare API on 127.0.0.1 for tests: every request is checked against the official OpenAPI document and
 * every answer validated against it; anything that does not is recorded in `violations`. It knows one token, the
 * zones a test adds, their DNS records and SSL mode, Origin CA certificates and Cloudflare's IP ranges; it
 * records every call (`calls`) and answers 429, 5xx or nothing when a test asks (`fail`).
 */
export class FakeCloudflare {
  readonly token = randomBytes(20).toString('hex');
  readonly tokenId = randomBytes(16).toString('hex');
  readonly violations: string[] = [];
  readonly calls: RecordedCloudflareCall[] = [];
  readonly zones: FakeZone[] = [];
  readonly records: FakeDnsRecord[] = [];
  /** What the known token's status is (`active`, `disabled`, `expired`). */
  tokenStatus: 'active' | 'disabled' | 'expired' = 'active';
  /** Whether the token may change zone settings (the SSL mode). */
  mayEditZoneSettings = true;
  private readonly failures: InjectedFailure[] = [];
  private readonly held = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    private readonly contract: OpenApiContract,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeCloudflare> {
    contract ??= new OpenApiContract(CLOUDFLARE_OPENAPI);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeCloudflare(
      server,
      contract,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}${BASE_PATH}`,
    );
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      fake.handle(request, response).catch((error: unknown) => {
        fake.violations.push(`the fake failed: ${error instanceof Error ? error.stack : String(error)}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    return fake;
  }

  addZone(name: string, ssl: FakeZone['ssl'] = 'full'): FakeZone {
    const zone = { id: randomBytes(16).toString('hex'), name, ssl };
    this.zones.push(zone);
    return zone;
  }

  /** A record made outside the platform (by hand in Cloudflare's dashboard, say). */
  addRecord(zone: FakeZone, record: { type: string; name: string; content: string; comment?: string }): FakeDnsRecord {
    const now = new Date().toISOString();
    const made = {
      id: randomBytes(16).toString('hex'),
      zoneId: zone.id,
      proxied: false,
      ttl: 1,
      comment: null,
      createdOn: now,
      modifiedOn: now,
      ...record,
    };
    this.records.push(made);
    return made;
  }

  recordsOf(name: string): FakeDnsRecord[] {
    return this.records.filter((record) => record.name === name);
  }

  /** The calls that changed something (anything but a read). */
  writes(): RecordedCloudflareCall[] {
    return this.calls.filter((call) => call.method !== 'GET');
  }

  /** The next `times` calls (of one operation, or any) get `answer` instead of theirs. */
  fail(failure: Omit<InjectedFailure, 'times'> & { times?: number }): void {
    this.failures.push({ ...failure, times: failure.times ?? 1 });
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const path = url.pathname.startsWith(BASE_PATH) ? url.pathname.slice(BASE_PATH.length) : url.pathname;
    const body = await readBody(request);
    const operation = this.contract.match(method, path);
    if (!operation) {
      this.violations.push(`${method} ${url.pathname}: no such operation in the document`);
      response.writeHead(404).end();
      return;
    }
    const problems = this.contract.checkRequest(operation, {
      method,
      path,
      query: url.searchParams,
      contentType: request.headers['content-type'],
      body,
    });
    const real = problems.filter((problem) => !documentQuirk(method, problem));
    if (real.length > 0)
      this.violations.push(`${operation.operationId}: the document rejects the request: ${real.join('; ')}`);
    const record = (outcome: number | 'timeout') =>
      this.calls.push({ operationId: operation.operationId, method, path, query: url.searchParams, body, outcome });

    const injected = this.failures.find(
      (each) => each.times > 0 && (each.operationId === undefined || each.operationId === operation.operationId),
    );
    if (injected) injected.times--;
    if (injected && !injected.afterApplying) {
      record(injected.answer);
      this.answerFailure(response, injected.answer);
      return;
    }
    const known = request.headers.authorization === `Bearer ${this.token}`;
    const [status, answer] = known
      ? this.answer(operation.operationId, operation.pathParams, url.searchParams, body)
      : [401, failure(1000, 'Invalid API Token')];
    if (injected) {
      record(injected.answer);
      this.answerFailure(response, injected.answer);
      return;
    }
    record(status);
    // The document's 4XX schema is allOf a success answer (`success: true`, a result) and a failure answer
    // (`success: false`, `result: null`), which no body satisfies; the failure part is what Cloudflare sends.
    const invalid =
      status < 300
        ? this.contract.checkResponse(operation, status, {}, answer)
        : this.contract.checkComponent('iam_api-response-common-failure', answer);
    if (invalid.length > 0)
      this.violations.push(
        `${operation.operationId}: the fake's ${status} answer breaks the document: ${invalid.join('; ')}`,
      );
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  private answerFailure(response: ServerResponse, answer: number | 'timeout'): void {
    if (answer === 'timeout') {
      // Held open without an answer until the client gives up (or the fake closes).
      this.held.add(response);
      response.on('close', () => this.held.delete(response));
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (answer === 429) headers['retry-after'] = '0';
    response
      .writeHead(answer, headers)
      .end(JSON.stringify(failure(answer === 429 ? 10429 : 10500, answer === 429 ? 'rate limited' : 'server error')));
  }

  private answer(
    operationId: string,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
  ): [number, unknown] {
    const ok = (result: unknown, resultInfo?: unknown) => [
      200,
      { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) },
    ];
    const zone = params.zone_id ? this.zones.find((each) => each.id === params.zone_id) : undefined;
    if (params.zone_id && !zone) return [404, failure(7003, 'Could not route to the zone')];
    const input = (body ?? {}) as Record<string, unknown>;
    switch (operationId) {
      case 'user-api-tokens-verify-token':
        return ok({ id: this.tokenId, status: this.tokenStatus }) as [number, unknown];
      case 'zones-get': {
        const name = query.get('name');
        const zones = this.zones.filter((each) => !name || each.name === name).map((each) => this.zoneView(each));
        return paged(zones, query);
      }
      case 'dns-records-for-a-zone-list-dns-records': {
        const exact = query.get('comment.exact');
        const type = query.get('type');
        const found = this.records
          .filter((each) => each.zoneId === zone?.id)
          .filter((each) => exact === null || each.comment === exact)
          .filter((each) => type === null || each.type === type);
        return paged(
          found.map((each) => recordView(each, zone!)),
          query,
        );
      }
      case 'dns-records-for-a-zone-create-dns-record': {
        const now = new Date().toISOString();
        const made: FakeDnsRecord = {
          id: randomBytes(16).toString('hex'),
          zoneId: zone!.id,
          type: String(input.type),
          name: String(input.name),
          content: String(input.content),
          proxied: input.proxied === true,
          ttl: typeof input.ttl === 'number' ? input.ttl : 1,
          comment: typeof input.comment === 'string' ? input.comment : null,
          createdOn: now,
          modifiedOn: now,
        };
        this.records.push(made);
        return ok(recordView(made, zone!)) as [number, unknown];
      }
      case 'dns-records-for-a-zone-patch-dns-record': {
        const found = this.records.find((each) => each.id === params.dns_record_id && each.zoneId === zone!.id);
        if (!found) return [404, failure(81044, 'Record does not exist.')];
        for (const field of ['type', 'name', 'content'] as const)
          if (typeof input[field] === 'string') found[field] = input[field];
        if (typeof input.proxied === 'boolean') found.proxied = input.proxied;
        found.modifiedOn = new Date().toISOString();
        return ok(recordView(found, zone!)) as [number, unknown];
      }
      case 'dns-records-for-a-zone-delete-dns-record': {
        const index = this.records.findIndex((each) => each.id === params.dns_record_id && each.zoneId === zone!.id);
        if (index < 0) return [404, failure(81044, 'Record does not exist.')];
        this.records.splice(index, 1);
        return ok({ id: params.dns_record_id }) as [number, unknown];
      }
      case 'zone-settings-get-single-setting':
        return ok({ id: params.setting_id, value: zone!.ssl, editable: true }) as [number, unknown];
      case 'zone-settings-edit-single-setting': {
        if (!this.mayEditZoneSettings) return [403, failure(9109, 'Unauthorized to access requested resource')];
        zone!.ssl = input.value as FakeZone['ssl'];
        return ok({ id: params.setting_id, value: zone!.ssl, editable: true }) as [number, unknown];
      }
      case 'cloudflare-i-ps-cloudflare-ip-details':
        return ok({
          ipv4_cidrs: ['173.245.48.0/20', '103.21.244.0/22'],
          ipv6_cidrs: ['2400:cb00::/32'],
          etag: randomUUID(),
        }) as [number, unknown];
      default:
        this.violations.push(`${operationId}: the fake does not implement it`);
        return [501, failure(10000, 'not implemented by the fake')];
    }
  }

  private zoneView(zone: FakeZone) {
    const now = new Date().toISOString();
    return {
      id: zone.id,
      name: zone.name,
      status: 'active',
      paused: false,
      type: 'full',
      development_mode: 0,
      name_servers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
      original_name_servers: null,
      original_registrar: null,
      original_dnshost: null,
      created_on: now,
      modified_on: now,
      activated_on: now,
      meta: { step: 2, custom_certificate_quota: 0, page_rule_quota: 3, phishing_detected: false },
      owner: { id: '7c5dae5552338874e5053f2534d2767a', type: 'user', email: 'owner@example.com' },
      account: { id: '023e105f4ecef8ad9ca31a8372d0c353', name: 'Platform tests' },
      permissions: ['#zone:read', '#dns_records:edit'],
      plan: {
        id: '0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
        name: 'Free Website',
        price: 0,
        currency: 'USD',
        frequency: '',
        is_subscribed: true,
        can_subscribe: false,
        legacy_id: 'free',
        legacy_discount: false,
        externally_managed: false,
      },
      vanity_name_servers: [],
    };
  }
}

/**
 * Two things the document asks that Cloudflare does not, and its own SDK does not send: a DELETE's body (required,
 * with no schema), and the fields Cloudflare assigns to a record (id, proxiable, times), which the document's
 * create and update bodies list as required because they reuse the record's answer schema.
 */
function documentQuirk(method: string, problem: string): boolean {
  if (method === 'DELETE' && problem === 'the request body is required') return true;
  const missing = problem.match(/^request body must have required property '([a-z_]+)'/)?.[1];
  return missing !== undefined && ['id', 'proxiable', 'created_on', 'modified_on'].includes(missing);
}

/** One page of a list, as `page` and `per_page` ask (the SDK reads pages until one comes back empty). */
function paged(items: readonly unknown[], query: URLSearchParams): [number, unknown] {
  const perPage = Number(query.get('per_page') ?? 20);
  const number = Number(query.get('page') ?? 1);
  const result = items.slice((number - 1) * perPage, number * perPage);
  const info = {
    page: number,
    per_page: perPage,
    count: result.length,
    total_count: items.length,
    total_pages: Math.max(1, Math.ceil(items.length / perPage)),
  };
  return [200, { success: true, errors: [], messages: [], result, result_info: info }];
}

function recordView(record: FakeDnsRecord, zone: FakeZone) {
  return {
    id: record.id,
    zone_id: zone.id,
    zone_name: zone.name,
    type: record.type,
    name: record.name,
    content: record.content,
    proxied: record.proxied,
    proxiable: true,
    ttl: record.ttl,
    comment: record.comment,
    tags: [],
    settings: {},
    meta: {},
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}
