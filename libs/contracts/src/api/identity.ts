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

/** An invitation's secret (`pli_…`), as its link carries it: `<console>/signup?invite=pli_…`. */
const inviteToken = z.string().trim().min(1).max(100);

/**
 * Without an invitation, the caller gets a workspace of their own (`workspaceName`): the first account of an
 * instance always may, later ones only when the instance's signup is open. With one, they join the workspace it
 * is for, in its role, and name no workspace.
 */
export const SignupRequestSchema = z
  .strictObject({ email, password, workspaceName: workspaceName.optional(), invite: inviteToken.optional() })
  .superRefine((request, context) => {
    if (request.invite === undefined && request.workspaceName === undefined)
      context.addIssue({
        code: 'custom',
        path: ['workspaceName'],
        message: 'is required: the name of your new workspace (left out only when joining by invitation)',
      });
    if (request.invite !== undefined && request.workspaceName !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['workspaceName'],
        message: 'must be left out with an invitation: you join the workspace you were invited to',
      });
  });
/** With `invite`, logging in also joins the workspace the invitation is for (and the session acts there). */
export const LoginRequestSchema = z.strictObject({
  email,
  password: z.string().min(1).max(256),
  invite: inviteToken.optional(),
});

/** How people get an account on this instance (`SIGNUP`); the console's signup page reads it. */
export const SignupPolicySchema = z.strictObject({
  /**
   * `first_account`: nobody has signed up yet, the first account becomes the instance's owner; `open`: anyone
   * may sign up; `invite_only`: only with an invitation from a workspace admin.
   */
  signup: z.enum(['first_account', 'open', 'invite_only']),
});

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

/** Who may be invited: an admin invites members and viewers, an owner anyone (as when adding a member). */
export const CreateInviteRequestSchema = z.strictObject({
  /** Only this email may use the invitation; anyone with the link when left out. */
  email: email.optional(),
  role: RoleSchema,
  expiresInDays: z.int().min(1).max(30).default(7),
});
export const InviteViewSchema = z.strictObject({
  id: z.uuid(),
  email: z.string().nullable(),
  role: RoleSchema,
  status: z.enum(['pending', 'used', 'expired', 'revoked']),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  usedAt: z.iso.datetime().nullable(),
});
/** The invitation with its secret, shown in this answer only: the link is `<console>/signup?invite=<token>`. */
export const CreatedInviteSchema = InviteViewSchema.extend({ token: z.string() });

export type SignupRequest = z.infer<typeof SignupRequestSchema>;
export type SignupPolicy = z.infer<typeof SignupPolicySchema>;
export type CreateInviteRequest = z.infer<typeof CreateInviteRequestSchema>;
export type InviteView = z.infer<typeof InviteViewSchema>;
export type CreatedInvite = z.infer<typeof CreatedInviteSchema>;
export type LoginRequest = z.infer<typeof LoginRequestSchema>;
export type UserView = z.infer<typeof UserViewSchema>;
export type WorkspaceView = z.infer<typeof WorkspaceViewSchema>;
export type MeResponse = z.infer<typeof MeResponseSchema>;
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequestSchema>;
export type ApiTokenView = z.infer<typeof ApiTokenViewSchema>;
export type CreatedApiToken = z.infer<typeof CreatedApiTokenSchema>;
export type MemberView = z.infer<typeof MemberViewSchema>;
