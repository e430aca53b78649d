import { randomBytes } from 'node:crypto';
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

/**
 * A Cloudflare API on 127.0.0.1 for tests: every request is checked against the official OpenAPI document and
 * every answer validated against it; anything that does not is recorded in `violations`. It knows one token.
 */
export class FakeCloudflare {
  readonly token = randomBytes(20).toString('hex');
  readonly tokenId = randomBytes(16).toString('hex');
  readonly violations: string[] = [];
  /** What the known token's status is (`active`, `disabled`, `expired`). */
  tokenStatus: 'active' | 'disabled' | 'expired' = 'active';

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
    server.on('request', (request: IncomingMessage, response: ServerResponse) => fake.handle(request, response));
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const path = url.pathname.startsWith(BASE_PATH) ? url.pathname.slice(BASE_PATH.length) : url.pathname;
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
      body: undefined,
    });
    if (problems.length > 0)
      this.violations.push(`${operation.operationId}: the document rejects the request: ${problems.join('; ')}`);
    if (operation.operationId !== 'user-api-tokens-verify-token') {
      this.violations.push(`${operation.operationId}: the fake does not implement it`);
      response.writeHead(501).end();
      return;
    }
    const known = request.headers.authorization === `Bearer ${this.token}`;
    const [status, body] = known
      ? [200, { success: true, errors: [], messages: [], result: { id: this.tokenId, status: this.tokenStatus } }]
      : [401, { success: false, errors: [{ code: 1000, message: 'Invalid API Token' }], messages: [], result: null }];
    // The document's 4XX schema is allOf a success answer (`success: true`, a result) and a failure answer
    // (`success: false`, `result: null`), which no body satisfies; the failure part is what Cloudflare sends.
    const invalid =
      status === 200
        ? this.contract.checkResponse(operation, status, {}, body)
        : this.contract.checkComponent('iam_api-response-common-failure', body);
    if (invalid.length > 0)
      this.violations.push(
        `${operation.operationId}: the fake's ${status} answer breaks the document: ${invalid.join('; ')}`,
      );
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
