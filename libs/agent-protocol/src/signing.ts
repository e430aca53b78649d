import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AGENT_SIGNATURE_SCHEME, AGENT_SIGNATURE_WINDOW_MS, AgentAuthHeaders } from '@platform/contracts';

export interface SignableRequest {
  readonly method: string;
  /** The request target exactly as sent: path and query string. */
  readonly pathWithQuery: string;
  /** sha256 (hex) of the body as sent; `EMPTY_BODY_SHA256` without one. */
  readonly bodySha256: string;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function canonicalString(request: SignableRequest, timestamp: string, nonce: string): string {
  return [
    AGENT_SIGNATURE_SCHEME,
    request.method.toUpperCase(),
    request.pathWithQuery,
    request.bodySha256,
    timestamp,
    nonce,
  ].join('\n');
}

function hmac(secret: string, text: string): Buffer {
  return createHmac('sha256', secret).update(text).digest();
}

/** The headers that authenticate one request; a fresh nonce each time, so no two requests sign alike. */
export function signRequest(
  secret: string,
  request: SignableRequest,
  options: { now?: number; nonce?: string } = {},
): Record<string, string> {
  const timestamp = String(options.now ?? Date.now());
  const nonce = options.nonce ?? randomBytes(16).toString('base64url');
  return {
    [AgentAuthHeaders.timestamp]: timestamp,
    [AgentAuthHeaders.nonce]: nonce,
    [AgentAuthHeaders.contentSha256]: request.bodySha256,
    [AgentAuthHeaders.signature]: hmac(secret, canonicalString(request, timestamp, nonce)).toString('hex'),
  };
}

export type VerificationFailure =
  'missing_headers' | 'malformed_headers' | 'stale' | 'bad_signature' | 'replayed' | 'signed_before_start';

export type VerificationResult =
  | { readonly ok: true; readonly bodySha256: string }
  | { readonly ok: false; readonly reason: VerificationFailure; readonly message: string };

export interface VerifiableRequest {
  readonly method: string;
  readonly pathWithQuery: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Remembers the nonces of accepted requests for as long as their timestamps are inside the window; a request
 * outside the window is refused as stale anyway, so nothing older needs remembering.
 */
class NonceCache {
  private readonly expiries = new Map<string, number>();
  private nextSweepAt = 0;

  constructor(private readonly maxEntries: number) {}

  /** False when the nonce was seen already (a replay). */
  remember(nonce: string, expiresAt: number, now: number): boolean {
    this.sweep(now);
    const known = this.expiries.get(nonce);
    if (known !== undefined && known > now) return false;
    if (this.expiries.size >= this.maxEntries) {
      // Evicting the oldest entries would reopen a replay window; a cache this full means a flood of
      // validly signed requests, which is better refused.
      return false;
    }
    this.expiries.set(nonce, expiresAt);
    return true;
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    for (const [nonce, expiresAt] of this.expiries) if (expiresAt <= now) this.expiries.delete(nonce);
    this.nextSweepAt = now + 1000;
  }
}

const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const HEX_SHA256 = /^[a-f0-9]{64}$/;

function header(headers: VerifiableRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? undefined : value;
}

/**
 * Checks signed requests: signature (constant time), timestamp inside the window and not before the verifier
 * started, and nonce never seen. The nonces live in memory, so a request signed before a restart would find them
 * forgotten: refusing what was signed before `startedAt` keeps a captured request from being replayed then.
 */
export class RequestVerifier {
  private readonly nonces: NonceCache;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(
    private readonly secret: string,
    options: { windowMs?: number; now?: () => number; maxNonces?: number; startedAt?: number } = {},
  ) {
    this.windowMs = options.windowMs ?? AGENT_SIGNATURE_WINDOW_MS;
    this.now = options.now ?? Date.now;
    this.startedAt = options.startedAt ?? this.now();
    this.nonces = new NonceCache(options.maxNonces ?? 200_000);
  }

  verify(request: VerifiableRequest): VerificationResult {
    const timestamp = header(request.headers, AgentAuthHeaders.timestamp);
    const nonce = header(request.headers, AgentAuthHeaders.nonce);
    const bodySha256 = header(request.headers, AgentAuthHeaders.contentSha256);
    const signature = header(request.headers, AgentAuthHeaders.signature);
    if (timestamp === undefined || nonce === undefined || bodySha256 === undefined || signature === undefined) {
      return { ok: false, reason: 'missing_headers', message: 'the request is not signed' };
    }
    if (
      !/^\d{1,16}$/.test(timestamp) ||
      !NONCE_PATTERN.test(nonce) ||
      !HEX_SHA256.test(bodySha256) ||
      !/^[a-f0-9]{64}$/.test(signature)
    ) {
      return { ok: false, reason: 'malformed_headers', message: 'the request signature headers are malformed' };
    }
    const expected = hmac(
      this.secret,
      canonicalString({ method: request.method, pathWithQuery: request.pathWithQuery, bodySha256 }, timestamp, nonce),
    );
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      return { ok: false, reason: 'bad_signature', message: 'the request signature does not match' };
    }
    // The clock is checked only once the signature holds, so an attacker learns nothing about it.
    const now = this.now();
    const signedAt = Number(timestamp);
    if (Math.abs(now - signedAt) > this.windowMs) {
      return {
        ok: false,
        reason: 'stale',
        message: `the request was signed more than ${this.windowMs / 1000}s from the agent's clock`,
      };
    }
    if (signedAt < this.startedAt) {
      return {
        ok: false,
        reason: 'signed_before_start',
        message: 'the request was signed before the agent (re)started; sign it again',
      };
    }
    if (!this.nonces.remember(nonce, signedAt + this.windowMs, now)) {
      return { ok: false, reason: 'replayed', message: 'the request was already received (replayed nonce)' };
    }
    return { ok: true, bodySha256 };
  }
}
