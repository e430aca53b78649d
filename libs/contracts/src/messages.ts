import { z } from 'zod';
import { DomainError, ErrorBodySchema } from './errors';

const Name = /^[A-Za-z][A-Za-z0-9]*$/;
const Context = /^[a-z][a-z0-9-]*$/;

/**
 * The request a person or program made, as the audit log records it: carried by a command sent from an API request
 * and copied onto the events it decides, so that its audit entry is derived from the event log (never lost with a
 * crash between the change and its entry). Never shown on the event stream.
 */
export const RequestOriginSchema = z.strictObject({
  /** The API operation (`createProject`). */
  action: z.string().min(1).max(100),
  actorKind: z.enum(['user', 'api_token']),
  /** The user's email, or the API token's name. */
  actorName: z.string().max(254),
  /** The session's or API token's id. */
  credentialId: z.string().min(1).max(64),
  ip: z.string().max(64),
  userAgent: z.string().max(512),
});
export type RequestOrigin = z.infer<typeof RequestOriginSchema>;

/** Who asked for what, carried by every command, event and query so that everything stays workspace-scoped. */
export const MessageMetadataSchema = z.strictObject({
  workspaceId: z.string().min(1).max(64),
  actorId: z.string().min(1).max(64),
  correlationId: z.string().min(1).max(128),
  causationId: z.string().min(1).max(128).optional(),
  commandId: z.string().min(1).max(128).optional(),
  origin: RequestOriginSchema.optional(),
});
export type MessageMetadata = z.infer<typeof MessageMetadataSchema>;

export const CommandEnvelopeSchema = z.strictObject({
  commandId: z.uuid(),
  type: z.string().regex(Name),
  schemaVersion: z.int().positive(),
  data: z.unknown(),
  metadata: MessageMetadataSchema,
  issuedAt: z.iso.datetime(),
});
export type CommandEnvelope<Data = unknown> = Omit<z.infer<typeof CommandEnvelopeSchema>, 'data'> & { data: Data };

/** An event as published on the EVENTS stream and fanned out to integrations. */
export const EventEnvelopeSchema = z.strictObject({
  eventId: z.uuid(),
  context: z.string().regex(Context),
  type: z.string().regex(Name),
  schemaVersion: z.int().positive(),
  streamId: z.string().min(1),
  streamVersion: z.int().positive(),
  position: z.string().regex(/^\d+$/),
  data: z.unknown(),
  metadata: MessageMetadataSchema,
  occurredAt: z.iso.datetime(),
});
export type EventEnvelope<Data = unknown> = Omit<z.infer<typeof EventEnvelopeSchema>, 'data'> & { data: Data };

export const QueryRequestSchema = z.strictObject({
  workspaceId: z.string().min(1).max(64),
  actorId: z.string().min(1).max(64).optional(),
  correlationId: z.string().min(1).max(128).optional(),
  /** A request that changes state through a query (a provider's token, verified while the caller waits). */
  origin: RequestOriginSchema.optional(),
  params: z.unknown(),
});
export type QueryRequest<Params = unknown> = Omit<z.infer<typeof QueryRequestSchema>, 'params'> & { params: Params };

/**
 * What a command's handler concluded; published for callers that wait for the outcome of their command.
 * `readModels` names the read models that will apply its events, each announcing when it did (ReadModelAppliedSchema);
 * absent when none will.
 */
export const CommandOutcomeSchema = z.discriminatedUnion('ok', [
  z.strictObject({
    ok: z.literal(true),
    commandId: z.uuid(),
    eventIds: z.array(z.uuid()),
    readModels: z.array(z.string().min(1)).min(1).optional(),
  }),
  z.strictObject({ ok: z.literal(false), commandId: z.uuid(), error: ErrorBodySchema }),
]);
export type CommandOutcome = z.infer<typeof CommandOutcomeSchema>;

/** A read model committed the events of these commands: reads of it now see what they did. */
export const ReadModelAppliedSchema = z.strictObject({
  readModel: z.string().min(1),
  commandIds: z.array(z.string().min(1).max(128)),
});
export type ReadModelApplied = z.infer<typeof ReadModelAppliedSchema>;

export const paginationParams = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
};

export function pageOf<S extends z.ZodType>(item: S) {
  return z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
}

export function assertName(kind: string, value: string, pattern = Name): void {
  if (!pattern.test(value)) throw new Error(`${kind} "${value}" must match ${pattern}`);
}
export const namePatterns = { Name, Context };

/** Opaque list cursors: the sort key of the last item, so a page never repeats or skips under inserts. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, length: number): (string | number)[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === length &&
      key.every((part) => typeof part === 'string' || typeof part === 'number')
    ) {
      return key;
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new DomainError(
    'validation_failed',
    'cursor is not valid; pass the nextCursor of the previous page as it was',
    [{ path: 'cursor', message: 'not a cursor this API issued' }],
  );
}

/**
 * A page from rows fetched with `limit + 1` in keyset order: the extra row only says there is a next page,
 * whose cursor is the key of the last row shown.
 */
export function pageFromRows<Row, Item>(
  rows: readonly Row[],
  limit: number,
  keyOf: (row: Row) => readonly (string | number)[],
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return { items: shown.map(toItem), nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
