import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../definitions';
import { pageOf, paginationParams } from '../messages';
import { PUBLIC_EVENT_FIELDS } from '../public-events';

export const WEBHOOKS = 'webhooks';

/** The type of the event `POST /v1/webhooks/{id}/test` sends; it is never published on the event stream. */
export const WEBHOOK_TEST_EVENT_TYPE = 'WebhookTest';

/** The sealing context of an endpoint's signing secret: the gateway seals it, the webhooks service opens it. */
export function webhookSecretContext(workspaceId: string, endpointId: string): string {
  return `${workspaceId}:webhook:${endpointId}:secret`;
}

/** The event types an endpoint may subscribe to: every type whose public shape is decided (PUBLIC_EVENT_FIELDS). */
export const WebhookEventTypeSchema = z
  .string()
  .refine(
    (type) => Object.hasOwn(PUBLIC_EVENT_FIELDS, type),
    'must be a public event type, such as DeploymentSucceeded',
  );

/** Where deliveries go. https only; http is accepted for loopback alone, when the instance allows it (checked later). */
export const WebhookUrlSchema = z
  .url({ protocol: /^https?$/, message: 'must be an https:// URL' })
  .max(2048)
  .refine(
    (url) => !URL.canParse(url) || (!new URL(url).username && !new URL(url).password),
    'must not carry credentials',
  );

const eventTypes = z
  .array(WebhookEventTypeSchema)
  .min(1, 'must name at least one event type')
  .max(100)
  .refine((types) => new Set(types).size === types.length, 'must not name an event type twice');
const description = z.string().trim().max(500);

export const WebhookFieldsSchema = z.strictObject({ url: WebhookUrlSchema, eventTypes, description });
export type WebhookFields = z.infer<typeof WebhookFieldsSchema>;

export const CreateWebhookRequestSchema = z.strictObject({
  url: WebhookUrlSchema,
  eventTypes,
  description: description.default(''),
});
export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequestSchema>;

export const UpdateWebhookRequestSchema = z
  .strictObject({
    url: WebhookUrlSchema.optional(),
    eventTypes: eventTypes.optional(),
    description: description.optional(),
    /** true enables an endpoint the platform disabled (a 410 answer, or failing for days); false pauses it. */
    enabled: z.boolean().optional(),
  })
  .refine(
    (changes) => Object.keys(changes).length > 0,
    'must change at least one of url, eventTypes, description, enabled',
  );
export type UpdateWebhookRequest = z.infer<typeof UpdateWebhookRequestSchema>;

export const WebhookDisabledReasonSchema = z.enum(['paused', 'gone', 'failing']);
export type WebhookDisabledReason = z.infer<typeof WebhookDisabledReasonSchema>;

const endpointId = z.uuid();
const sealedSecret = z.string().startsWith('v1:');

export const CreateWebhookEndpoint = defineCommand(
  WEBHOOKS,
  'CreateWebhookEndpoint',
  z.strictObject({ endpointId, fields: WebhookFieldsSchema, sealedSecret }),
);
export const UpdateWebhookEndpoint = defineCommand(
  WEBHOOKS,
  'UpdateWebhookEndpoint',
  z.strictObject({
    endpointId,
    changes: z.strictObject({
      url: WebhookUrlSchema.optional(),
      eventTypes: eventTypes.optional(),
      description: description.optional(),
      enabled: z.boolean().optional(),
    }),
  }),
);
export const DeleteWebhookEndpoint = defineCommand(WEBHOOKS, 'DeleteWebhookEndpoint', z.strictObject({ endpointId }));
export const RotateWebhookSecret = defineCommand(
  WEBHOOKS,
  'RotateWebhookSecret',
  z.strictObject({ endpointId, sealedSecret }),
);
/** Sent by the delivery process: the endpoint answered 410 Gone, or failed every attempt for days. */
export const DisableWebhookEndpoint = defineCommand(
  WEBHOOKS,
  'DisableWebhookEndpoint',
  z.strictObject({ endpointId, reason: z.enum(['gone', 'failing']), detail: z.string().max(500) }),
);

export const WebhookEndpointCreated = defineEvent(
  WEBHOOKS,
  'WebhookEndpointCreated',
  z.strictObject({ endpointId, workspaceId: z.string(), fields: WebhookFieldsSchema, sealedSecret }),
);
export const WebhookEndpointUpdated = defineEvent(
  WEBHOOKS,
  'WebhookEndpointUpdated',
  z.strictObject({ endpointId, workspaceId: z.string(), fields: WebhookFieldsSchema, enabled: z.boolean() }),
);
export const WebhookEndpointDeleted = defineEvent(
  WEBHOOKS,
  'WebhookEndpointDeleted',
  z.strictObject({ endpointId, workspaceId: z.string() }),
);
/** The previous secret still signs deliveries, beside the new one, until `previousValidUntil` (24 hours). */
export const WebhookSecretRotated = defineEvent(
  WEBHOOKS,
  'WebhookSecretRotated',
  z.strictObject({ endpointId, workspaceId: z.string(), sealedSecret, previousValidUntil: z.iso.datetime() }),
);
export const WebhookEndpointDisabled = defineEvent(
  WEBHOOKS,
  'WebhookEndpointDisabled',
  z.strictObject({
    endpointId,
    workspaceId: z.string(),
    url: z.string(),
    reason: z.enum(['gone', 'failing']),
    detail: z.string(),
  }),
);

export const WebhookViewSchema = z.strictObject({
  id: z.uuid(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: WebhookDisabledReasonSchema.nullable(),
  /** While a rotation is under way, deliveries carry a signature by the previous secret too, until then. */
  previousSecretValidUntil: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type WebhookView = z.infer<typeof WebhookViewSchema>;

export const WebhookDeliveryStatusSchema = z.enum(['pending', 'succeeded', 'failed']);

export const WebhookDeliveryViewSchema = z.strictObject({
  id: z.uuid(),
  /** The `webhook-id` header: the event's id, the same on every attempt and redelivery. */
  messageId: z.string(),
  eventType: z.string(),
  status: WebhookDeliveryStatusSchema,
  attempts: z.int().min(0),
  nextAttemptAt: z.iso.datetime().nullable(),
  lastAttemptAt: z.iso.datetime().nullable(),
  latencyMs: z.int().nullable(),
  responseStatus: z.int().nullable(),
  /** The first 1 KB of the last answer. */
  responseBody: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.iso.datetime(),
  deliveredAt: z.iso.datetime().nullable(),
});
export type WebhookDeliveryView = z.infer<typeof WebhookDeliveryViewSchema>;

export const ListWebhookEndpoints = defineQuery(
  WEBHOOKS,
  'ListWebhookEndpoints',
  z.strictObject({ ...paginationParams }),
  pageOf(WebhookViewSchema),
);
export const GetWebhookEndpoint = defineQuery(
  WEBHOOKS,
  'GetWebhookEndpoint',
  z.strictObject({ endpointId }),
  WebhookViewSchema,
);
export const ListWebhookDeliveries = defineQuery(
  WEBHOOKS,
  'ListWebhookDeliveries',
  z.strictObject({ endpointId, ...paginationParams, status: WebhookDeliveryStatusSchema.optional() }),
  pageOf(WebhookDeliveryViewSchema),
);
export const RedeliverWebhooksRequestSchema = z.strictObject({
  /** Every failed delivery made since then goes out again. */
  since: z.iso.datetime({ offset: true }),
});
/** Request/reply: the caller hears how many deliveries go out again (one by `deliveryId`, or the failed `since`). */
export const RedeliverWebhooks = defineQuery(
  WEBHOOKS,
  'RedeliverWebhooks',
  z.strictObject({ endpointId, deliveryId: z.uuid().optional(), since: z.iso.datetime({ offset: true }).optional() }),
  z.strictObject({ redelivered: z.int().min(0) }),
);
export const SendTestWebhook = defineQuery(
  WEBHOOKS,
  'SendTestWebhook',
  z.strictObject({ endpointId }),
  z.strictObject({ deliveryId: z.uuid() }),
);

export const webhookCommands = [
  CreateWebhookEndpoint,
  UpdateWebhookEndpoint,
  DeleteWebhookEndpoint,
  RotateWebhookSecret,
  DisableWebhookEndpoint,
] as const;
export const webhookEvents = [
  WebhookEndpointCreated,
  WebhookEndpointUpdated,
  WebhookEndpointDeleted,
  WebhookSecretRotated,
  WebhookEndpointDisabled,
] as const;
