import { DomainError, type ErrorCode } from '@platform/contracts';
import type { components } from './generated/do-api';

type ActionRecord = components['schemas']['action'];

/** What DigitalOcean said about a failure, kept for support tickets and for programs that branch on it. */
export interface DigitalOceanErrorDetail {
  readonly provider: 'digitalocean';
  /** HTTP status; absent when DigitalOcean could not be reached at all. */
  readonly status?: number;
  /** DigitalOcean's own error id (`not_found`, `unauthorized`, `unprocessable_entity`, …). */
  readonly digitalOceanId?: string;
  readonly requestId?: string;
}

/**
 * A DigitalOcean API failure as a DomainError: a stable platform code, a message that says what to do, and
 * DigitalOcean's id, status and request id as details.
 */
export class DigitalOceanError extends DomainError {
  readonly status?: number;
  readonly digitalOceanId?: string;
  readonly requestId?: string;

  constructor(code: ErrorCode, message: string, detail: Omit<DigitalOceanErrorDetail, 'provider'> = {}) {
    super(code, message, [{ provider: 'digitalocean', ...detail } satisfies DigitalOceanErrorDetail]);
    this.name = 'DigitalOceanError';
    this.status = detail.status;
    this.digitalOceanId = detail.digitalOceanId;
    this.requestId = detail.requestId;
  }
}

/** A DigitalOcean action (power off, snapshot, …) that ended `errored`. */
export class DigitalOceanActionError extends DigitalOceanError {
  constructor(readonly action: ActionRecord) {
    super(
      'unavailable',
      `DigitalOcean action ${action.id ?? '?'} (${action.type ?? 'unknown type'} on ${action.resource_type ?? 'resource'} ` +
        `${action.resource_id ?? '?'}) errored; check the resource in the DigitalOcean control panel, then try again`,
    );
    this.name = 'DigitalOceanActionError';
  }
}

function isDigitalOceanErrorBody(body: unknown): body is { id: string; message: string; request_id?: string } {
  if (typeof body !== 'object' || body === null) return false;
  const record = body as Record<string, unknown>;
  return typeof record.id === 'string' && typeof record.message === 'string';
}

function formatEpochSeconds(seconds: number | undefined): string | undefined {
  return seconds !== undefined && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : undefined;
}

/**
 * Turns a failed answer into a DigitalOceanError whose message tells the person reading it what to do.
 * `attempt` names what was being done ("delete droplet 42"); DigitalOcean's own message is quoted, never the
 * request (which may hold user data) nor the token.
 */
export function digitalOceanErrorFrom(response: Response, body: unknown, attempt: string): DigitalOceanError {
  const status = response.status;
  const parsed = isDigitalOceanErrorBody(body) ? body : undefined;
  const detail = {
    status,
    digitalOceanId: parsed?.id,
    requestId: parsed?.request_id ?? response.headers.get('x-request-id') ?? undefined,
  };
  const said = parsed ? `DigitalOcean said: "${parsed.message}"` : `DigitalOcean answered HTTP ${status}`;
  const reference = detail.requestId ? `; request id ${detail.requestId}` : '';

  if (status === 401) {
    return new DigitalOceanError(
      'unauthorized',
      `the DigitalOcean token is invalid or revoked; save a new one (${said} when trying to ${attempt})`,
      detail,
    );
  }
  if (status === 403) {
    return new DigitalOceanError(
      'forbidden',
      `the DigitalOcean token may not ${attempt}; save a token with read and write access to droplets, actions, images, snapshots and tags (${said})`,
      detail,
    );
  }
  if (status === 404) {
    return new DigitalOceanError(
      'not_found',
      `could not ${attempt}: DigitalOcean does not know it (deleted already, or another account's) (${said})`,
      detail,
    );
  }
  if (status === 409) {
    return new DigitalOceanError(
      'conflict',
      `could not ${attempt}: it conflicts with the resource's current state; wait for its pending actions and try again (${said})`,
      detail,
    );
  }
  if (status === 400 || status === 422) {
    return new DigitalOceanError(
      'validation_failed',
      `DigitalOcean refused to ${attempt}; correct the request (name, region, size, image or quota) and try again (${said})`,
      detail,
    );
  }
  if (status === 429) {
    const resetsAt = formatEpochSeconds(Number(response.headers.get('ratelimit-reset') ?? Number.NaN));
    return new DigitalOceanError(
      'rate_limited',
      `the DigitalOcean rate limit of this token is used up${resetsAt ? ` until ${resetsAt}` : ''}; try again then, or spread the work over more time (${said} when trying to ${attempt})`,
      detail,
    );
  }
  if (status >= 500) {
    return new DigitalOceanError(
      'unavailable',
      `DigitalOcean failed to ${attempt}; the fault is on DigitalOcean's side, try again later (${said}${reference})`,
      detail,
    );
  }
  return new DigitalOceanError('internal', `unexpected answer when trying to ${attempt} (${said}${reference})`, detail);
}
