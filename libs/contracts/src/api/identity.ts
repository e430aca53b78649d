import { z } from 'zod';

export const RoleSchema = z.enum(['owner', 'admin', 'member', 'viewer']);
export type Role = z.infer<typeof RoleSchema>;

/**
 * What a credential may do. A session carries every scope its role allows; an API token only the scopes it
 * was created with, and never more than its creator's role allows at the time of use.
 */
export const ScopeSchema = z.enum(['read', 'deploy', 'infra', 'admin']);
export type Scope = z.infer<typeof ScopeSchema>;

export const scopesOfRole: Record<Role, readonly Scope[]> = {
  owner: ['read', 'deploy', 'infra', 'admin'],
  admin: ['read', 'deploy', 'infra', 'admin'],
  member: ['read', 'deploy', 'infra'],
  viewer: ['read'],
};

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'must be an email address' }));
const password = z.string().min(10, 'must be at least 10 characters').max(256, 'must be at most 256 characters');
const workspaceName = z.string().trim().min(1).max(100);

export const SignupRequestSchema = z.strictObject({ email, password, workspaceName });
export const LoginRequestSchema = z.strictObject({ email, password: z.string().min(1).max(256) });

export const UserViewSchema = z.strictObject({ id: z.uuid(), email: z.string(), createdAt: z.iso.datetime() });
export const WorkspaceViewSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  role: RoleSchema,
  createdAt: z.iso.datetime(),
});

export const SignupResponseSchema = z.strictObject({
  user: UserViewSchema,
  workspace: WorkspaceViewSchema,
  token: z.string(),
});
export const LoginResponseSchema = z.strictObject({ token: z.string(), expiresAt: z.iso.datetime() });

export const MeResponseSchema = z.strictObject({
  user: UserViewSchema,
  workspace: WorkspaceViewSchema,
  workspaces: z.array(WorkspaceViewSchema),
  credential: z.strictObject({ kind: z.enum(['session', 'api_token']), scopes: z.array(ScopeSchema) }),
});

export const CreateWorkspaceRequestSchema = z.strictObject({ name: workspaceName });

export const CreateApiTokenRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(ScopeSchema)
    .min(1)
    .max(4)
    .refine((scopes) => new Set(scopes).size === scopes.length, 'must not repeat a scope'),
  expiresInDays: z.int().min(1).max(3650).optional(),
});
export const ApiTokenViewSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  scopes: z.array(ScopeSchema),
  /** The first characters, so a person can tell tokens apart; the rest is never shown again. */
  prefix: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
});
export const CreatedApiTokenSchema = ApiTokenViewSchema.extend({ token: z.string() });

export const AddMemberRequestSchema = z.strictObject({ email, role: RoleSchema });
export const UpdateMemberRequestSchema = z.strictObject({ role: RoleSchema });
export const MemberViewSchema = z.strictObject({
  userId: z.uuid(),
  email: z.string(),
  role: RoleSchema,
  joinedAt: z.iso.datetime(),
});

export type SignupRequest = z.infer<typeof SignupRequestSchema>;
export type LoginRequest = z.infer<typeof LoginRequestSchema>;
export type UserView = z.infer<typeof UserViewSchema>;
export type WorkspaceView = z.infer<typeof WorkspaceViewSchema>;
export type MeResponse = z.infer<typeof MeResponseSchema>;
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequestSchema>;
export type ApiTokenView = z.infer<typeof ApiTokenViewSchema>;
export type CreatedApiToken = z.infer<typeof CreatedApiTokenSchema>;
export type MemberView = z.infer<typeof MemberViewSchema>;
