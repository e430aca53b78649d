import { randomUUID } from 'node:crypto';
import * as contracts from '@platform/contracts';
import type { EventDefinition, EventTypeView } from '@platform/contracts';
import { z } from 'zod';
import { PUBLIC_EVENT_FIELDS, publicEvent, type ShownFields } from '@platform/contracts';

type JsonSchema = Record<string, unknown>;

/** Every event type the contracts define, in the order they are exported. */
export const eventDefinitions: readonly EventDefinition[] = (Object.values(contracts) as unknown[]).filter(
  (value): value is EventDefinition => (value as { kind?: unknown } | null)?.kind === 'event',
);

/** The masked value an environment variable shows (see `publicEvent`). */
const maskedValue = { type: 'string', const: '••••••••' };

/**
 * The JSON Schema of what a client sees of an event's data: the contract's schema cut down to the fields its type
 * makes public, recursing through objects, arrays and unions as `publicEvent` does.
 */
export function publicSchema(schema: JsonSchema, shown: ShownFields): JsonSchema {
  for (const union of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[union])) {
      return {
        ...schema,
        [union]: (schema[union] as JsonSchema[]).map((branch) =>
          branch.type === 'null' ? branch : publicSchema(branch, shown),
        ),
      };
    }
  }
  if (schema.type === 'array' && schema.items)
    return { ...schema, items: publicSchema(schema.items as JsonSchema, shown) };
  if (schema.type !== 'object') return schema;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const kept: Record<string, JsonSchema> = {};
  for (const [field, how] of Object.entries(shown)) {
    const property = properties[field];
    if (!property) continue;
    if (how === true) kept[field] = property;
    else if (how === 'names')
      kept[field] = {
        type: 'object',
        description: 'The variables’ names; their values are sealed and always shown masked',
        additionalProperties: maskedValue,
      };
    else kept[field] = publicSchema(property, how);
  }
  const required = ((schema.required ?? []) as string[]).filter((field) => field in kept);
  return { ...schema, properties: kept, required, additionalProperties: false };
}

/**
 * A value the contract's JSON Schema accepts, made from the schema alone: the first branch of a union, one element
 * of an array, every property of an object, a value of each string format. It is parsed by the contract before it
 * is shown (see `eventCatalogue`), so an example that drifts from its contract fails the catalogue's test.
 */
export function exampleOf(schema: JsonSchema, field = ''): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) return exampleOf(union.find((branch) => branch.type !== 'null') ?? union[0], field);
  switch (schema.type) {
    case 'object':
      // A record (environment variables by name): one entry.
      if (!schema.properties && typeof schema.additionalProperties === 'object')
        return { GREETING: exampleOf(schema.additionalProperties as JsonSchema, 'GREETING') };
      return Object.fromEntries(
        Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>).map(([name, property]) => [
          name,
          exampleOf(property, name),
        ]),
      );
    case 'array':
      return schema.items ? [exampleOf(schema.items as JsonSchema, field)] : [];
    case 'integer':
    case 'number':
      return Math.max(Number(schema.minimum ?? 0), Math.min(Number(schema.maximum ?? 3000), 3000));
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string':
      return exampleString(schema, field);
    default:
      return null;
  }
}

function exampleString(schema: JsonSchema, field: string): string {
  switch (schema.format) {
    case 'uuid':
      return randomUUID();
    case 'date-time':
      return '2026-01-15T09:30:00.000Z';
    case 'uri':
      return 'https://example.com/';
    case 'email':
      return 'someone@example.com';
    case 'ipv4':
      return '203.0.113.10';
  }
  if (/Ip$/.test(field)) return '203.0.113.10';
  if (/Url$/.test(field)) return 'https://203.0.113.10:7100';
  if (/Id$/.test(field)) return randomUUID();
  if (field === 'digest') return `sha256:${'5e'.repeat(32)}`;
  if (field === 'eventTypes') return 'DeploymentSucceeded';
  const text = field || 'text';
  if (typeof schema.pattern !== 'string') return text;
  // A pattern such as `^v1:` (a sealed value's prefix): the literal start it asks for, then the field's name.
  const literalStart = /^\^([A-Za-z0-9:_-]*)/.exec(schema.pattern)?.[1] ?? '';
  return (
    [text, `${literalStart}${text}`].find((candidate) => new RegExp(String(schema.pattern)).test(candidate)) ?? text
  );
}

function jsonSchemaOf(definition: EventDefinition): JsonSchema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(definition.data, { io: 'output', unrepresentable: 'any' });
  return schema;
}

/** One public event type with its public schema and an example its contract accepts, narrowed as clients see it. */
function describe(definition: EventDefinition, shown: ShownFields): EventTypeView {
  const full = jsonSchemaOf(definition);
  const data = definition.data.parse(exampleOf(full));
  const example = publicEvent({
    eventId: randomUUID(),
    context: definition.context,
    type: definition.type,
    schemaVersion: definition.schemaVersion,
    streamId: 'example',
    streamVersion: 1,
    position: '1',
    data,
    metadata: { workspaceId: 'example', actorId: 'example', correlationId: 'example' },
    occurredAt: new Date(0).toISOString(),
  })?.data;
  return {
    type: definition.type,
    context: definition.context,
    schemaVersion: definition.schemaVersion,
    subject: `evt.${definition.context}.${definition.type}`,
    schema: { title: definition.type, ...publicSchema(full, shown) },
    example,
  };
}

/**
 * Every event type a client may see (those PUBLIC_EVENT_FIELDS lists), sorted by name: what `GET /v1/event-types`
 * answers and the OpenAPI document publishes. Built once: it depends on the contracts alone.
 */
export const eventCatalogue: readonly EventTypeView[] = eventDefinitions
  .flatMap((definition) => {
    const shown = PUBLIC_EVENT_FIELDS[definition.type];
    return shown ? [describe(definition, shown)] : [];
  })
  .sort((a, b) => a.type.localeCompare(b.type));

/** The catalogue's schemas as OpenAPI components, named `<Type>Event`. */
export function eventSchemaComponents(): Record<string, JsonSchema> {
  return Object.fromEntries(eventCatalogue.map((entry) => [`${entry.type}Event`, entry.schema]));
}
