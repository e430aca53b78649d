import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../definitions';
import { pageOf, paginationParams } from '../messages';

export const DEPLOYMENTS = 'deployments';

/** `registry/name:tag` or `name@sha256:…`, as Docker accepts; no whitespace or shell characters. */
export const ImageReferenceSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    'must be an image reference such as "ghcr.io/acme/web:1.2.3"',
  )
  // Docker reads a bare hex name as an image id or id prefix: that names whatever image the engine holds.
  .refine(
    (reference) => !/^(?:sha256:)?[a-f0-9]+$/.test(reference),
    'must name an image by repository and tag, not by an image id or id prefix',
  );

/** A branch, tag or commit; never something git could read as an option or a revision range. */
export const GitRefSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/,
    'must be a branch, tag or commit (letters, digits, "._/-"; not starting with "-")',
  )
  .refine((ref) => !ref.includes('..') && !ref.endsWith('/') && !ref.endsWith('.lock'), 'is not a valid git ref');

export const GitUrlSchema = z
  .url({ protocol: /^https$/, hostname: z.regexes.domain })
  .max(2048)
  // A string that is no URL was refused above; the check runs anyway and must not throw (a 500) on it.
  .refine(
    (url) => !URL.canParse(url) || (!new URL(url).username && !new URL(url).password),
    'must not carry credentials',
  );

export const DeploySourceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('image'), image: ImageReferenceSchema }),
  z.strictObject({ type: z.literal('git'), url: GitUrlSchema, ref: GitRefSchema }),
  z.strictObject({ type: z.literal('upload'), uploadId: z.uuid() }),
]);
export type DeploySource = z.infer<typeof DeploySourceSchema>;

export const DeployStrategySchema = z.strictObject({
  batchSize: z.int().min(1).max(100).default(1),
});

/** The settings a person saves to run the same deployment again. */
export const DeployConfigFieldsSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  serviceId: z.uuid(),
  source: DeploySourceSchema,
  serverIds: z.array(z.uuid()).min(1).max(100),
  strategy: DeployStrategySchema.optional(),
});
export type DeployConfigFields = z.infer<typeof DeployConfigFieldsSchema>;

const deployConfigId = z.uuid();

export const CreateDeployConfig = defineCommand(
  DEPLOYMENTS,
  'CreateDeployConfig',
  z.strictObject({ deployConfigId, fields: DeployConfigFieldsSchema }),
);
export const UpdateDeployConfig = defineCommand(
  DEPLOYMENTS,
  'UpdateDeployConfig',
  z.strictObject({ deployConfigId, fields: DeployConfigFieldsSchema }),
);
export const DeleteDeployConfig = defineCommand(DEPLOYMENTS, 'DeleteDeployConfig', z.strictObject({ deployConfigId }));

export const DeployConfigCreated = defineEvent(
  DEPLOYMENTS,
  'DeployConfigCreated',
  z.strictObject({ deployConfigId, workspaceId: z.string(), fields: DeployConfigFieldsSchema }),
);
export const DeployConfigUpdated = defineEvent(
  DEPLOYMENTS,
  'DeployConfigUpdated',
  z.strictObject({ deployConfigId, workspaceId: z.string(), fields: DeployConfigFieldsSchema }),
);
export const DeployConfigDeleted = defineEvent(
  DEPLOYMENTS,
  'DeployConfigDeleted',
  // `name` says what was deleted to those who never saw it created; events recorded before it was added lack it.
  z.strictObject({ deployConfigId, workspaceId: z.string(), name: z.string().optional() }),
);

export const DeployConfigViewSchema = DeployConfigFieldsSchema.extend({
  id: z.uuid(),
  version: z.int().positive(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type DeployConfigView = z.infer<typeof DeployConfigViewSchema>;

export const ListDeployConfigs = defineQuery(
  DEPLOYMENTS,
  'ListDeployConfigs',
  z.strictObject({ ...paginationParams }),
  pageOf(DeployConfigViewSchema),
);
export const GetDeployConfig = defineQuery(
  DEPLOYMENTS,
  'GetDeployConfig',
  z.strictObject({ deployConfigId }),
  DeployConfigViewSchema,
);

export const deployConfigCommands = [CreateDeployConfig, UpdateDeployConfig, DeleteDeployConfig] as const;
export const deployConfigEvents = [DeployConfigCreated, DeployConfigUpdated, DeployConfigDeleted] as const;
