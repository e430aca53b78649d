import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../definitions';
import { pageOf, paginationParams } from '../messages';
import { SERVERS } from './servers';

const snapshotId = z.uuid();
const slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9-]+$/, 'must be a lower-case slug such as "nyc3" or "s-1vcpu-1gb"');

/** Snapshots are DigitalOcean images: local servers run the agent straight from this machine. */
export const SnapshotProviderSchema = z.literal('digitalocean');

export const CreateSnapshotRequestSchema = z.strictObject({
  provider: SnapshotProviderSchema,
  region: slug,
  /** The builder droplet's size; the provider's smallest by default. */
  size: slug.optional(),
});
export type CreateSnapshotRequest = z.infer<typeof CreateSnapshotRequestSchema>;

export const SnapshotStatusSchema = z.enum(['building', 'ready', 'failed', 'deleting', 'deleted']);
export type SnapshotStatus = z.infer<typeof SnapshotStatusSchema>;

/** Where a snapshot being built is: the builder droplet boots, its agent answers, the disk is imaged, the builder goes. */
export const SnapshotStepSchema = z.enum(['create-builder', 'wait-for-agent', 'snapshot', 'remove-builder']);
export type SnapshotStep = z.infer<typeof SnapshotStepSchema>;

const spec = CreateSnapshotRequestSchema.required({ size: true });

export const CreateSnapshot = defineCommand(SERVERS, 'CreateSnapshot', z.strictObject({ snapshotId, spec }));
export const DeleteSnapshot = defineCommand(SERVERS, 'DeleteSnapshot', z.strictObject({ snapshotId }));

export const SnapshotRequested = defineEvent(
  SERVERS,
  'SnapshotRequested',
  z.strictObject({
    snapshotId,
    workspaceId: z.string(),
    spec,
    agentVersion: z.string(),
    requestedAt: z.iso.datetime(),
  }),
);
export const SnapshotBuilderCreated = defineEvent(
  SERVERS,
  'SnapshotBuilderCreated',
  z.strictObject({
    snapshotId,
    builderServerId: z.string(),
    agentUrl: z.url(),
    /** The builder agent's secret, sealed with the platform's key. */
    sealedAgentSecret: z.string().startsWith('v1:'),
  }),
);
export const SnapshotBuilderReady = defineEvent(
  SERVERS,
  'SnapshotBuilderReady',
  z.strictObject({ snapshotId, agentVersion: z.string() }),
);
export const SnapshotTaken = defineEvent(
  SERVERS,
  'SnapshotTaken',
  z.strictObject({
    snapshotId,
    providerSnapshotId: z.string(),
    regions: z.array(z.string()),
    sizeGb: z.number().nullable(),
  }),
);
export const SnapshotReady = defineEvent(SERVERS, 'SnapshotReady', z.strictObject({ snapshotId }));
export const SnapshotFailed = defineEvent(
  SERVERS,
  'SnapshotFailed',
  z.strictObject({ snapshotId, step: SnapshotStepSchema, reason: z.string() }),
);
export const SnapshotDeleteRequested = defineEvent(SERVERS, 'SnapshotDeleteRequested', z.strictObject({ snapshotId }));
export const SnapshotDeleted = defineEvent(SERVERS, 'SnapshotDeleted', z.strictObject({ snapshotId }));
export const SnapshotDeleteFailed = defineEvent(
  SERVERS,
  'SnapshotDeleteFailed',
  z.strictObject({ snapshotId, reason: z.string() }),
);

export const snapshotEvents = [
  SnapshotRequested,
  SnapshotBuilderCreated,
  SnapshotBuilderReady,
  SnapshotTaken,
  SnapshotReady,
  SnapshotFailed,
  SnapshotDeleteRequested,
  SnapshotDeleted,
  SnapshotDeleteFailed,
] as const;

export const SnapshotViewSchema = z.strictObject({
  id: snapshotId,
  name: z.string(),
  provider: SnapshotProviderSchema,
  region: z.string(),
  status: SnapshotStatusSchema,
  /** While building: the step it is at. */
  step: SnapshotStepSchema.nullable(),
  providerSnapshotId: z.string().nullable(),
  /** The agent version the snapshot carries. */
  agentVersion: z.string(),
  /** It carries another agent version than this platform expects: servers made from it start outdated. */
  agentOutdated: z.boolean(),
  regions: z.array(z.string()),
  sizeGb: z.number().nullable(),
  failureReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type SnapshotView = z.infer<typeof SnapshotViewSchema>;

export const ListSnapshots = defineQuery(
  SERVERS,
  'ListSnapshots',
  z.strictObject({ ...paginationParams }),
  pageOf(SnapshotViewSchema),
);
export const GetSnapshot = defineQuery(SERVERS, 'GetSnapshot', z.strictObject({ snapshotId }), SnapshotViewSchema);
