import type { Migration } from '@platform/event-store';

/**
 * Identity keeps plain tables rather than an event log: signup, login and the credential check on every
 * request need unique emails, read-your-writes and one indexed lookup, which tables give directly.
 */
export const identityMigrations: readonly Migration[] = [
  {
    id: 'identity/001-tables',
    sql: `
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
      CREATE TABLE workspaces (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE memberships (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, user_id)
      );
      CREATE INDEX memberships_by_user ON memberships (user_id);
      CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        token_hash bytea NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        default_workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY,
        token_hash bytea NOT NULL UNIQUE,
        prefix text NOT NULL,
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX api_tokens_by_workspace ON api_tokens (workspace_id, created_at DESC, id DESC);
    `,
  },
  {
    // Who owns the instance (its first account), who may join (invitations) and who made each workspace (the
    // per-user limit). An instance that had accounts already gets its oldest user as owner, with the first
    // workspace that user made.
    id: 'identity/002-instance-and-invites',
    sql: `
      ALTER TABLE workspaces ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL;
      UPDATE workspaces w SET created_by = (
        SELECT m.user_id FROM memberships m WHERE m.workspace_id = w.id AND m.role = 'owner'
         ORDER BY m.created_at, m.user_id LIMIT 1);
      CREATE INDEX workspaces_by_creator ON workspaces (created_by);
      CREATE TABLE instance (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        owner_user_id uuid NOT NULL REFERENCES users (id),
        first_workspace_id uuid NOT NULL REFERENCES workspaces (id),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO instance (owner_user_id, first_workspace_id)
        SELECT u.id, w.id FROM users u JOIN workspaces w ON w.created_by = u.id
         ORDER BY u.created_at, u.id, w.created_at, w.id LIMIT 1;
      CREATE TABLE invites (
        id uuid PRIMARY KEY,
        token_hash bytea NOT NULL UNIQUE,
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        email text,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        used_by uuid REFERENCES users (id) ON DELETE SET NULL,
        revoked_at timestamptz
      );
      CREATE INDEX invites_by_workspace ON invites (workspace_id, created_at DESC, id DESC);
    `,
  },
  {
    id: 'identity/003-audit-log',
    sql: `
      CREATE TABLE audit_log (
        id uuid PRIMARY KEY,
        workspace_id text,
        instance_level boolean NOT NULL DEFAULT false,
        action text NOT NULL,
        actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'api_token')),
        actor_user_id text NOT NULL,
        actor_name text NOT NULL,
        credential_id text,
        resource_type text,
        resource_id text,
        request_id text,
        ip text,
        user_agent text,
        occurred_at timestamptz NOT NULL
      );
      CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, occurred_at DESC, id DESC);
      CREATE INDEX audit_log_instance_level ON audit_log (occurred_at DESC, id DESC) WHERE instance_level;
    `,
  },
];
