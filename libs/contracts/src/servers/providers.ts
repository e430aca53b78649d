import { z } from 'zod';
import { defineEvent, defineQuery } from '../definitions';
import { SERVERS } from './servers';

/** The providers that take a workspace's own credentials: DigitalOcean for servers, Cloudflare for DNS. */
export const CredentialProviderSchema = z.enum(['digitalocean', 'cloudflare']);
export type CredentialProvider = z.infer<typeof CredentialProviderSchema>;

export const ProviderNameSchema = z.enum(['local', 'digitalocean', 'cloudflare']);
export type ProviderName = z.infer<typeof ProviderNameSchema>;

/** The sealing context of a workspace's provider token: the gateway seals it, the provisioner opens it. */
export function providerTokenContext(workspaceId: string, provider: CredentialProvider): string {
  return `${workspaceId}:provider:${provider}:token`;
}

export const SaveProviderCredentialsRequestSchema = z.strictObject({
  /** The API token, as the provider shows it once. */
  token: z
    .string()
    .trim()
    .min(20, 'must be the whole API token')
    .max(512)
    .regex(/^[\x21-\x7e]+$/, 'must be the token alone, without spaces'),
});

export const ProviderViewSchema = z.strictObject({
  provider: ProviderNameSchema,
  /** What it gives the platform. */
  purpose: z.enum(['servers', 'dns']),
  connected: z.boolean(),
  /** The account the saved token belongs to (its email or name), never the token. */
  account: z.string().nullable(),
  verifiedAt: z.iso.datetime().nullable(),
});
export type ProviderView = z.infer<typeof ProviderViewSchema>;

/**
 * Verifies the token with the provider and, when it works, saves it sealed. A request/reply rather than a queued
 * command: the caller needs to hear whether the provider accepted the token.
 */
export const SaveProviderCredentials = defineQuery(
  SERVERS,
  'SaveProviderCredentials',
  z.strictObject({ provider: CredentialProviderSchema, sealedToken: z.string().startsWith('v1:') }),
  ProviderViewSchema,
);
export const RemoveProviderCredentials = defineQuery(
  SERVERS,
  'RemoveProviderCredentials',
  z.strictObject({ provider: CredentialProviderSchema }),
  ProviderViewSchema,
);
export const ListProviders = defineQuery(
  SERVERS,
  'ListProviders',
  z.strictObject({}),
  z.strictObject({ items: z.array(ProviderViewSchema) }),
);

export const ProviderConnected = defineEvent(
  SERVERS,
  'ProviderConnected',
  z.strictObject({ provider: CredentialProviderSchema, account: z.string(), verifiedAt: z.iso.datetime() }),
);
export const ProviderDisconnected = defineEvent(
  SERVERS,
  'ProviderDisconnected',
  z.strictObject({ provider: CredentialProviderSchema }),
);

/**
 * A workspace's saved provider token, still sealed (for the workspace and provider, see providerTokenContext): how
 * the dns service reaches Cloudflare with the token the provisioner keeps. Asked between services only; no route
 * of the API relays it.
 */
export const GetSealedProviderToken = defineQuery(
  SERVERS,
  'GetSealedProviderToken',
  z.strictObject({ provider: CredentialProviderSchema }),
  z.strictObject({ sealedToken: z.string().nullable() }),
);
