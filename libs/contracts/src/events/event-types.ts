import { z } from 'zod';

/**
 * One public event type as `GET /v1/event-types` describes it: the JSON Schema of the data a client sees (only the
 * fields its type makes public), and an example of that data.
 */
export const EventTypeViewSchema = z.strictObject({
  type: z.string(),
  context: z.string(),
  schemaVersion: z.int(),
  /** The JetStream subject it is published on inside the network (before any NATS_PREFIX). */
  subject: z.string(),
  /** JSON Schema (2020-12) of `data` as the API, the event stream and webhooks show it. */
  schema: z.record(z.string(), z.unknown()),
  example: z.unknown(),
});
export type EventTypeView = z.infer<typeof EventTypeViewSchema>;
