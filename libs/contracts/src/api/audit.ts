import { z } from 'zod';
import { pageOf, paginationParams } from '../messages';

/** One change a person or an API token made, as `GET /v1/audit` lists it. Never holds a secret value. */
export const AuditEntryViewSchema = z.strictObject({
  id: z.uuid(),
  /** The API operation (`createProject`, `revokeApiToken`, `signup`). */
  action: z.string(),
  actor: z.strictObject({
    kind: z.enum(['user', 'api_token']),
    /** The user who acted (an API token acts for the user who made it). */
    userId: z.string(),
    /** The user's email, or the API token's name. */
    name: z.string(),
    /** The session's or API token's id. */
    credentialId: z.string().nullable(),
  }),
  resource: z.strictObject({ type: z.string(), id: z.string() }).nullable(),
  /** Null for an instance-level action outside any workspace. */
  workspaceId: z.string().nullable(),
  /** Signups, invitations and new workspaces: listed to the instance's owner with `scope=instance` too. */
  instanceLevel: z.boolean(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  occurredAt: z.iso.datetime(),
});
export type AuditEntryView = z.infer<typeof AuditEntryViewSchema>;

export const ListAuditQuerySchema = z.strictObject({
  ...paginationParams,
  /** A user id, an API token id, an email or a token name. */
  actor: z.string().min(1).max(254).optional(),
  action: z.string().min(1).max(100).optional(),
  resourceId: z.string().min(1).max(100).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  /** `instance`: the instance-level actions of every workspace (the instance's owner only). */
  scope: z.enum(['workspace', 'instance']).default('workspace'),
});
export type ListAuditQuery = z.infer<typeof ListAuditQuerySchema>;

export const AuditPageSchema = pageOf(AuditEntryViewSchema);
