import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import {
  AGENT_TLS_SINCE,
  AgentEndpoints,
  AgentHealthSchema,
  AgentVersionInfoSchema,
  ApiErrorSchema,
  ApplyRoutesResponseSchema,
  BuildProgressLineSchema,
  ContainerHealthSchema,
  ContainerInfoSchema,
  CutoverProgressLineSchema,
  DomainError,
  EdgeRoutesResponseSchema,
  EMPTY_BODY_SHA256,
  ImageResultSchema,
  ListContainersResponseSchema,
  ListImagesResponseSchema,
  PruneImagesResponseSchema,
  PushImageResultSchema,
  RemoveImageResponseSchema,
  StopContainerResponseSchema,
  type AgentHealth,
  type AgentVersionInfo,
  type ApplyRoutesRequest,
  type ApplyRoutesResponse,
  type ArchiveContentType,
  type BuildImageQuery,
  type BuildProgressLine,
  type ContainerHealth,
  type ContainerInfo,
  type ContainerLogsQuery,
  type CutoverProgressLine,
  type CutoverRequest,
  type CutoverResult,
  type EdgeRoutesResponse,
  type ImageResult,
  type ListContainersResponse,
  type ListImagesQuery,
  type ListImagesResponse,
  type PruneImagesRequest,
  type PruneImagesResponse,
  type PullImageRequest,
  type PushImageRequest,
  type PushImageResult,
  type RemoveImageRequest,
  type RemoveImageResponse,
  type RunContainerRequest,
  type StopContainerRequest,
  type StopContainerResponse,
  type TagImageRequest,
} from '@platform/contracts';
import { agentServerName, sha256Hex, signRequest } from '@platform/agent-protocol';
import { sha256OfFile } from './files';

export interface AgentClientOptions {
  /** e.g. `https://127.0.0.2:7100`. */
  readonly baseUrl: string;
  /** Signs every request; the agent's certificate must also carry the name derived from it. */
  readonly secret: string;
  /** The platform CA's certificate (PEM): the only issuer whose agent certificates are trusted. */
  readonly ca: string;
  /** For answers that are not streamed. */
  readonly timeoutMs?: number;
}

type Body =
  | { kind: 'none' }
  | { kind: 'json'; bytes: Buffer }
  | { kind: 'file'; path: string; contentType: string; sha256: string };

function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

function withName(path: string, name: string): string {
  return path.replace(':name', encodeURIComponent(name));
}

const ChallengeAnswer = z.strictObject({ token: z.string() });

function withToken(path: string, token: string): string {
  return path.replace(':token', encodeURIComponent(token));
}

async function readAll(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The error an agent answered with, in the platform's shape when it is one. */
async function errorFrom(response: IncomingMessage): Promise<DomainError> {
  const text = (await readAll(response)).toString('utf8');
  try {
    const parsed = ApiErrorSchema.safeParse(JSON.parse(text));
    if (parsed.success) return DomainError.fromBody(parsed.data.error);
  } catch {
    // not JSON: reported below with the status
  }
  return new DomainError('unavailable', `the agent answered ${response.statusCode ?? '?'}: ${text.slice(0, 200)}`);
}

/**
 * Kept-alive connections per agent and CA, shared by every client of that agent (callers make a client per
 * step), so the TLS handshake is paid on the first request to an agent and not on each one after it.
 */
const connectionPools = new Map<string, HttpsAgent>();

function connectionsTo(base: URL, ca: string): HttpsAgent {
  const key = `${base.host} ${createHash('sha256').update(ca).digest('hex')}`;
  let pool = connectionPools.get(key);
  if (!pool) {
    pool = new HttpsAgent({ keepAlive: true, ca, minVersion: 'TLSv1.3' });
    connectionPools.set(key, pool);
  }
  return pool;
}

/** Closes the kept-alive connections to the agent at `baseUrl`: its next call opens (and handshakes) a new one. */
export function closeAgentConnections(baseUrl: string): void {
  const host = new URL(baseUrl).host;
  for (const [key, pool] of connectionPools) {
    if (key.startsWith(`${host} `)) {
      pool.destroy();
      connectionPools.delete(key);
    }
  }
}

/**
 * A typed client for one agent: HTTPS only, trusting the platform CA alone and checking that the certificate is
 * this server's (it carries the name derived from the server's secret); every request is also signed with it.
 */
export class AgentClient {
  private readonly base: URL;
  private readonly serverName: string;

  constructor(private readonly options: AgentClientOptions) {
    this.base = new URL(options.baseUrl);
    this.serverName = agentServerName(options.secret);
  }

  health(): Promise<AgentHealth> {
    return this.json(AgentEndpoints.health.method, AgentEndpoints.health.path, { kind: 'none' }, AgentHealthSchema);
  }

  version(): Promise<AgentVersionInfo> {
    return this.json(
      AgentEndpoints.version.method,
      AgentEndpoints.version.path,
      { kind: 'none' },
      AgentVersionInfoSchema,
    );
  }

  /** Builds an image from a source archive on disk, streaming it to the agent; `onProgress` sees the build output. */
  async buildImage(
    query: BuildImageQuery,
    archive: { path: string; contentType: ArchiveContentType },
    onProgress: (line: BuildProgressLine) => void = () => undefined,
  ): Promise<ImageResult> {
    const sha256 = await sha256OfFile(archive.path);
    const path = AgentEndpoints.buildImage.path + queryString({ ...query });
    const final = await this.ndjson(
      AgentEndpoints.buildImage.method,
      path,
      { kind: 'file', path: archive.path, contentType: archive.contentType, sha256 },
      BuildProgressLineSchema,
      onProgress,
    );
    if (final.type !== 'result') throw new DomainError('internal', 'the build ended without a result');
    return { image: final.image, imageId: final.imageId };
  }

  pullImage(body: PullImageRequest): Promise<ImageResult> {
    return this.json(AgentEndpoints.pullImage.method, AgentEndpoints.pullImage.path, jsonBody(body), ImageResultSchema);
  }

  /** Pushes an image to a registry; the answer names its digest. */
  pushImage(body: PushImageRequest): Promise<PushImageResult> {
    return this.json(
      AgentEndpoints.pushImage.method,
      AgentEndpoints.pushImage.path,
      jsonBody(body),
      PushImageResultSchema,
    );
  }

  tagImage(body: TagImageRequest): Promise<ImageResult> {
    return this.json(AgentEndpoints.tagImage.method, AgentEndpoints.tagImage.path, jsonBody(body), ImageResultSchema);
  }

  listImages(query: ListImagesQuery = {}): Promise<ListImagesResponse> {
    return this.json(
      AgentEndpoints.listImages.method,
      AgentEndpoints.listImages.path + queryString({ ...query }),
      { kind: 'none' },
      ListImagesResponseSchema,
    );
  }

  removeImage(body: RemoveImageRequest): Promise<RemoveImageResponse> {
    return this.json(
      AgentEndpoints.removeImage.method,
      AgentEndpoints.removeImage.path,
      jsonBody(body),
      RemoveImageResponseSchema,
    );
  }

  pruneImages(body: PruneImagesRequest): Promise<PruneImagesResponse> {
    return this.json(
      AgentEndpoints.pruneImages.method,
      AgentEndpoints.pruneImages.path,
      jsonBody(body),
      PruneImagesResponseSchema,
    );
  }

  runContainer(body: RunContainerRequest): Promise<ContainerInfo> {
    return this.json(
      AgentEndpoints.runContainer.method,
      AgentEndpoints.runContainer.path,
      jsonBody(body),
      ContainerInfoSchema,
    );
  }

  listContainers(query: { service?: string } = {}): Promise<ListContainersResponse> {
    return this.json(
      AgentEndpoints.listContainers.method,
      AgentEndpoints.listContainers.path + queryString(query),
      { kind: 'none' },
      ListContainersResponseSchema,
    );
  }

  stopContainer(name: string, body: StopContainerRequest = {}): Promise<StopContainerResponse> {
    const endpoint = AgentEndpoints.stopContainer;
    return this.json(endpoint.method, withName(endpoint.path, name), jsonBody(body), StopContainerResponseSchema);
  }

  containerHealth(name: string): Promise<ContainerHealth> {
    const endpoint = AgentEndpoints.containerHealth;
    return this.json(endpoint.method, withName(endpoint.path, name), { kind: 'none' }, ContainerHealthSchema);
  }

  /** The container's output as a text stream; with `follow` it stays open until the container stops or it is destroyed. */
  async containerLogs(name: string, query: ContainerLogsQuery = {}): Promise<Readable> {
    const endpoint = AgentEndpoints.containerLogs;
    const response = await this.send(
      endpoint.method,
      withName(endpoint.path, name) + queryString({ ...query }),
      { kind: 'none' },
      false,
    );
    return response;
  }

  applyRoutes(body: ApplyRoutesRequest): Promise<ApplyRoutesResponse> {
    return this.json(
      AgentEndpoints.applyRoutes.method,
      AgentEndpoints.applyRoutes.path,
      jsonBody(body),
      ApplyRoutesResponseSchema,
    );
  }

  /** Has the server's nginx answer an ACME HTTP-01 challenge, on every hostname, until removed. */
  async putChallenge(token: string, keyAuthorization: string): Promise<void> {
    const endpoint = AgentEndpoints.putChallenge;
    await this.json(endpoint.method, withToken(endpoint.path, token), jsonBody({ keyAuthorization }), ChallengeAnswer);
  }

  async removeChallenge(token: string): Promise<void> {
    const endpoint = AgentEndpoints.removeChallenge;
    await this.json(endpoint.method, withToken(endpoint.path, token), { kind: 'none' }, ChallengeAnswer);
  }

  routes(): Promise<EdgeRoutesResponse> {
    return this.json(
      AgentEndpoints.getRoutes.method,
      AgentEndpoints.getRoutes.path,
      { kind: 'none' },
      EdgeRoutesResponseSchema,
    );
  }

  /** Runs a cutover; `onProgress` sees each step as it happens. Fails with the agent's reason if it does. */
  async cutover(
    body: CutoverRequest,
    onProgress: (line: CutoverProgressLine) => void = () => undefined,
  ): Promise<CutoverResult> {
    const final = await this.ndjson(
      AgentEndpoints.cutover.method,
      AgentEndpoints.cutover.path,
      jsonBody(body),
      CutoverProgressLineSchema,
      onProgress,
    );
    if (final.type !== 'result') throw new DomainError('internal', 'the cutover ended without a result');
    return final;
  }

  private async json<S extends z.ZodType>(method: string, path: string, body: Body, schema: S): Promise<z.infer<S>> {
    const started = performance.now();
    const response = await this.send(method, path, body, true);
    const text = (
      await readAll(response).catch((error: unknown) => {
        throw this.cutShort(method, path, started, error);
      })
    ).toString('utf8');
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new DomainError('internal', `the agent's answer to ${method} ${path} does not match the contract`);
    return parsed.data;
  }

  /** Reads an NDJSON answer line by line; an error line becomes the DomainError it describes. */
  private async ndjson<Line extends { type: string }>(
    method: string,
    path: string,
    body: Body,
    schema: z.ZodType<Line>,
    onLine: (line: Line) => void,
  ): Promise<Line> {
    const started = performance.now();
    const response = await this.send(method, path, body, false);
    let last: Line | undefined;
    let received = 0;
    try {
      for await (const text of createInterface({ input: response, crlfDelay: Infinity })) {
        if (!text.trim()) continue;
        const parsed = schema.safeParse(jsonOrNothing(text));
        if (!parsed.success)
          throw new DomainError(
            'internal',
            `the agent sent a progress line that does not match the contract: ${text.slice(0, 200)}`,
          );
        const line = parsed.data;
        onLine(line);
        last = line;
        received += 1;
      }
    } catch (error) {
      throw this.cutShort(method, path, started, error, received);
    }
    if (!last) throw new DomainError('unavailable', `the agent closed ${method} ${path} without an answer`);
    if (isErrorLine(last)) throw new DomainError(errorCode(last.error.code), last.error.message, last.error.details);
    return last;
  }

  /**
   * Agents are reached over TLS whatever the scheme of their URL. A URL recorded as http:// is one from before
   * agents spoke TLS: the agent may still be that old one, which this platform no longer talks to.
   */
  private preTlsHint(): string {
    return this.base.protocol === 'http:'
      ? `; this server was made before agents spoke TLS: if its agent is older than ${AGENT_TLS_SINCE}, replace the server`
      : '';
  }

  /** Node says only "aborted" when an answer stops half-way: say what was cut, when, and what to do. */
  private cutShort(method: string, path: string, started: number, error: unknown, progressLines?: number) {
    if (error instanceof DomainError) return error;
    const seconds = Math.round((performance.now() - started) / 1000);
    const after = progressLines === undefined ? '' : `, after ${progressLines} progress lines`;
    return new DomainError(
      'unavailable',
      `the agent at ${this.options.baseUrl} stopped answering ${method} ${path.split('?')[0]} ${seconds} s in${after} ` +
        `(${describe(error)}): the agent restarted or the connection to it dropped; try again`,
    );
  }

  private send(method: string, pathWithQuery: string, body: Body, timed: boolean): Promise<IncomingMessage> {
    const bodySha256 =
      body.kind === 'none' ? EMPTY_BODY_SHA256 : body.kind === 'json' ? sha256Hex(body.bytes) : body.sha256;
    const headers: Record<string, string> = signRequest(this.options.secret, { method, pathWithQuery, bodySha256 });
    if (body.kind === 'json') headers['content-type'] = 'application/json';
    if (body.kind === 'file') headers['content-type'] = body.contentType;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = httpsRequest(
        {
          host: this.base.hostname,
          port: this.base.port,
          agent: connectionsTo(this.base, this.options.ca),
          servername: this.serverName,
          method,
          path: pathWithQuery,
          headers,
          timeout: timed ? (this.options.timeoutMs ?? 60_000) : undefined,
        },
        (response) => {
          if ((response.statusCode ?? 500) >= 400) {
            errorFrom(response).then(reject, reject);
            return;
          }
          resolve(response);
        },
      );
      // Only a timed request may time out: a streamed answer waits out a build step that prints nothing for minutes.
      if (timed)
        request.on('timeout', () =>
          request.destroy(new DomainError('timeout', `the agent did not answer ${method} ${pathWithQuery} in time`)),
        );
      request.on('error', (error) =>
        reject(
          error instanceof DomainError
            ? error
            : new DomainError(
                'unavailable',
                `cannot reach the agent at ${this.options.baseUrl}: ${error.message}${this.preTlsHint()}`,
              ),
        ),
      );
      if (body.kind === 'file') {
        const file = createReadStream(body.path);
        file.on('error', (error) => request.destroy(error));
        file.pipe(request);
      } else {
        request.end(body.kind === 'json' ? body.bytes : undefined);
      }
    });
  }
}

/** An error's message; Node's own errors are not `instanceof Error` in every realm (Jest's sandbox), so not checked so. */
const describe = (error: unknown) => (error as { message?: string } | null)?.message ?? String(error);

/** A line that is not JSON is reported as one off the contract, not as a cut connection. */
function jsonOrNothing(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function jsonBody(value: unknown): Body {
  return { kind: 'json', bytes: Buffer.from(JSON.stringify(value)) };
}

function isErrorLine(line: {
  type: string;
}): line is { type: 'error'; error: { code: string; message: string; details?: unknown[] } } {
  return line.type === 'error';
}

function errorCode(code: string): DomainError['code'] {
  const known = ApiErrorSchema.shape.error.shape.code.safeParse(code);
  return known.success ? known.data : 'internal';
}
