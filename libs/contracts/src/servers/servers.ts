import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../definitions';
import { pageOf, paginationParams } from '../messages';

export const SERVERS = 'servers';

/** The sealing context of a server's agent secret: the provisioner seals it, the deployer opens it. */
export function agentSecretContext(workspaceId: string, serverId: string): string {
  return `${workspaceId}:server:${serverId}:agent-secret`;
}

export const ProviderSchema = z.enum(['local', 'digitalocean']);
export type Provider = z.infer<typeof ProviderSchema>;

/** Letters, digits and dashes, as a hostname label: it names droplets and shows in shells, so nothing else. */
export const ServerNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i,
    'must be letters, digits and dashes, starting and ending with a letter or digit',
  );

const slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9-]+$/, 'must be a lower-case slug such as "nyc3" or "s-1vcpu-1gb"');

export const ServerStatusSchema = z.enum(['provisioning', 'booting', 'ready', 'failed', 'destroying', 'destroyed']);
export type ServerStatus = z.infer<typeof ServerStatusSchema>;

const serverId = z.uuid();

export const ProvisionServerRequestSchema = z.strictObject({
  provider: ProviderSchema,
  name: ServerNameSchema,
  region: slug.optional(),
  size: slug.optional(),
  snapshotId: z.uuid().optional(),
});
export type ProvisionServerRequest = z.infer<typeof ProvisionServerRequestSchema>;

export const ProvisionServer = defineCommand(
  SERVERS,
  'ProvisionServer',
  z.strictObject({ serverId, spec: ProvisionServerRequestSchema.required({ region: true, size: true }) }),
);
export const DestroyServer = defineCommand(SERVERS, 'DestroyServer', z.strictObject({ serverId, force: z.boolean() }));
export const RefreshServer = defineCommand(SERVERS, 'RefreshServer', z.strictObject({ serverId }));

const edge = z.strictObject({ httpPort: z.int(), httpsPort: z.int() });

export const ServerProvisionRequested = defineEvent(
  SERVERS,
  'ServerProvisionRequested',
  z.strictObject({
    serverId,
    workspaceId: z.string(),
    spec: ProvisionServerRequestSchema.required({ region: true, size: true }),
    requestedAt: z.iso.datetime(),
  }),
);
export const ServerCreated = defineEvent(
  SERVERS,
  'ServerCreated',
  z.strictObject({
    serverId,
    providerServerId: z.string(),
    publicIp: z.string(),
    agentUrl: z.url(),
    edge,
    /** The agent's secret, sealed with the platform's key: never in the log in plain text. */
    sealedAgentSecret: z.string().startsWith('v1:'),
  }),
);
export const ServerReady = defineEvent(SERVERS, 'ServerReady', z.strictObject({ serverId, agentVersion: z.string() }));
export const ServerProvisionFailed = defineEvent(
  SERVERS,
  'ServerProvisionFailed',
  z.strictObject({ serverId, step: z.enum(['create', 'boot']), reason: z.string() }),
);
export const ServerChecked = defineEvent(
  SERVERS,
  'ServerChecked',
  z.strictObject({
    serverId,
    reachable: z.boolean(),
    agentVersion: z.string().nullable(),
    checkedAt: z.iso.datetime(),
  }),
);
export const ServerDestroyRequested = defineEvent(
  SERVERS,
  'ServerDestroyRequested',
  z.strictObject({ serverId, force: z.boolean() }),
);
export const ServerDestroyed = defineEvent(SERVERS, 'ServerDestroyed', z.strictObject({ serverId }));
export const ServerDestroyFailed = defineEvent(
  SERVERS,
  'ServerDestroyFailed',
  z.strictObject({ serverId, reason: z.string() }),
);

export const serverEvents = [
  ServerProvisionRequested,
  ServerCreated,
  ServerReady,
  ServerProvisionFailed,
  ServerChecked,
  ServerDestroyRequested,
  ServerDestroyed,
  ServerDestroyFailed,
] as const;

export const ServerViewSchema = z.strictObject({
  id: serverId,
  name: z.string(),
  provider: ProviderSchema,
  region: z.string(),
  size: z.string(),
  status: ServerStatusSchema,
  publicIp: z.string().nullable(),
  edge: edge.nullable(),
  agentVersion: z.string().nullable(),
  /** The agent reports another version than this platform expects: re-provision from a current snapshot. */
  agentOutdated: z.boolean(),
  expectedAgentVersion: z.string(),
  managed: z.boolean(),
  failureReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ServerView = z.infer<typeof ServerViewSchema>;

export const ListServers = defineQuery(
  SERVERS,
  'ListServers',
  z.strictObject({ ...paginationParams }),
  pageOf(ServerViewSchema),
);
export const GetServer = defineQuery(SERVERS, 'GetServer', z.strictObject({ serverId }), ServerViewSchema);

/** How another service reaches a server's agent: the deployer signs its requests with the (sealed) secret. */
export const GetServerAgent = defineQuery(
  SERVERS,
  'GetServerAgent',
  z.strictObject({ serverId }),
  z.strictObject({ serverId, agentUrl: z.url(), sealedAgentSecret: z.string(), publicIp: z.string(), edge }),
);

export const RegionSchema = z.strictObject({ slug: z.string(), name: z.string(), available: z.boolean() });
export const SizeSchema = z.strictObject({
  slug: z.string(),
  memoryMb: z.int(),
  vcpus: z.int(),
  diskGb: z.int(),
  priceMonthly: z.number(),
  regions: z.array(z.string()),
});
export const ListRegions = defineQuery(
  SERVERS,
  'ListRegions',
  z.strictObject({ provider: ProviderSchema }),
  z.strictObject({ items: z.array(RegionSchema) }),
);
export const ListSizes = defineQuery(
  SERVERS,
  'ListSizes',
  z.strictObject({ provider: ProviderSchema }),
  z.strictObject({ items: z.array(SizeSchema) }),
);
