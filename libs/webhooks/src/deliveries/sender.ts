import http from 'node:http';
import https from 'node:https';
import { isIPv6, type LookupFunction } from 'node:net';
import { checkOutboundUrl, type OutboundUrlPolicy } from '@platform/outbound';

export interface SendOptions extends OutboundUrlPolicy {
  readonly timeoutMs: number;
}

/** What one attempt came to. `status` is absent when no answer came (refused address, timeout, connection). */
export interface AttemptOutcome {
  readonly status?: number;
  readonly latencyMs: number;
  /** The first 1 KB of the answer. */
  readonly responseBody: string;
  readonly retryAfter?: string;
  readonly error?: string;
}

const KEPT_RESPONSE_BYTES = 1024;
/** More than this of an answer is not read: the connection is dropped instead. */
const READ_RESPONSE_BYTES = 64 * 1024;

/** Connections are kept per address checked; a socket is only ever opened to an address that passed the check. */
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/** Connects to `address` whatever the name resolves to now, so DNS cannot answer differently after the check. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIPv6(address) ? 6 : 4;
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * POSTs one delivery: the URL checked again (a name that now points inside is refused), the connection made to the
 * address checked, no redirect followed, the whole attempt bounded by `timeoutMs`.
 */
export async function sendAttempt(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: SendOptions,
): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let address: string;
  try {
    address = await checkOutboundUrl(url, options);
  } catch (error) {
    return { latencyMs: elapsed(), responseBody: '', error: (error as Error).message };
  }
  const parsed = new URL(url);
  const protocol = parsed.protocol === 'https:' ? 'https:' : 'http:';
  const client = protocol === 'https:' ? https : http;
  return new Promise<AttemptOutcome>((resolve) => {
    const request = client.request(
      parsed,
      {
        method: 'POST',
        agent: agents[protocol],
        lookup: pinnedLookup(address),
        signal: AbortSignal.timeout(options.timeoutMs),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'platform-webhooks/1',
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let read = 0;
        const finish = () =>
          resolve({
            status: response.statusCode,
            latencyMs: elapsed(),
            responseBody: Buffer.concat(chunks).subarray(0, KEPT_RESPONSE_BYTES).toString('utf8'),
            retryAfter: response.headers['retry-after'],
          });
        response.on('data', (chunk: Buffer) => {
          if (read < KEPT_RESPONSE_BYTES) chunks.push(chunk);
          read += chunk.length;
          if (read > READ_RESPONSE_BYTES) {
            response.destroy();
            finish();
          }
        });
        response.on('end', finish);
        response.on('error', finish);
      },
    );
    request.on('error', (error) =>
      resolve({
        latencyMs: elapsed(),
        responseBody: '',
        error:
          error.name === 'AbortError' || error.name === 'TimeoutError'
            ? `no answer within ${options.timeoutMs} ms`
            : error.message,
      }),
    );
    request.end(body);
  });
}
