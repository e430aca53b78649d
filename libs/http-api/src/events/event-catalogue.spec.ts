import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@platform/contracts';
import { eventCatalogue, eventDefinitions, exampleOf, publicSchema } from './event-catalogue';
import { PUBLIC_EVENT_FIELDS, publicEvent } from '@platform/contracts';

/** A small JSON Schema check for what the catalogue's schemas use: enough to prove an example fits its schema. */
function fits(schema: Record<string, unknown>, value: unknown): boolean {
  if ('const' in schema) return JSON.stringify(schema.const) === JSON.stringify(value);
  if (Array.isArray(schema.enum)) return schema.enum.includes(value);
  const union = (schema.anyOf ?? schema.oneOf) as Record<string, unknown>[] | undefined;
  if (union) return union.some((branch) => fits(branch, value));
  switch (schema.type) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const record = value as Record<string, unknown>;
      const required = (schema.required ?? []) as string[];
      return (
        required.every((field) => field in record) &&
        Object.entries(record).every(([field, inner]) =>
          properties[field]
            ? fits(properties[field], inner)
            : typeof schema.additionalProperties === 'object'
              ? fits(schema.additionalProperties as Record<string, unknown>, inner)
              : schema.additionalProperties !== false,
        )
      );
    }
    case 'array':
      return Array.isArray(value) && value.every((item) => fits(schema.items as Record<string, unknown>, item));
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return true;
  }
}

describe('the event catalogue', () => {
  it('lists every public event type, and only those', () => {
    expect(eventCatalogue.map((entry) => entry.type).sort()).toEqual(Object.keys(PUBLIC_EVENT_FIELDS).sort());
    expect(eventCatalogue.length).toBe(eventDefinitions.length);
  });

  it('gives each type an example its contract accepts, shown as clients see it and fitting the published schema', () => {
    for (const entry of eventCatalogue) {
      expect({ type: entry.type, fits: fits(entry.schema, entry.example) }).toEqual({ type: entry.type, fits: true });
      expect(entry.subject).toBe(`evt.${entry.context}.${entry.type}`);
    }
  });

  it('publishes no field the event stream would not show: no sealed value, environment values masked', () => {
    const text = JSON.stringify(eventCatalogue);
    expect(text).not.toMatch(/"sealed[A-Z]|v1:/);
    const requested = eventCatalogue.find((entry) => entry.type === 'DeploymentRequested');
    const properties = requested?.schema.properties as Record<string, Record<string, unknown>>;
    expect(Object.keys(properties)).toEqual(Object.keys(PUBLIC_EVENT_FIELDS.DeploymentRequested));
    expect(properties.env.additionalProperties).toEqual({ type: 'string', const: '••••••••' });
    expect(Object.values((requested?.example as { env: Record<string, string> }).env)).toEqual(['••••••••']);
    const target = (properties.targets.items as { properties: Record<string, unknown> }).properties;
    expect(Object.keys(target)).toEqual(['serverId', 'agentUrl', 'publicIp', 'edgeHttpPort']);
  });

  it('matches what publicEvent sends: an event of the contract shows exactly the schema’s fields', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
      required: ['a', 'b'],
    };
    expect(publicSchema(schema, { a: true })).toEqual({
      ...schema,
      properties: { a: { type: 'string' } },
      required: ['a'],
      additionalProperties: false,
    });
    const entry = eventCatalogue.find((candidate) => candidate.type === 'ServerCreated');
    const event = publicEvent({
      eventId: randomUUID(),
      context: 'servers',
      type: 'ServerCreated',
      schemaVersion: 1,
      streamId: 's',
      streamVersion: 1,
      position: '1',
      data: {
        ...(exampleOf({ type: 'object', properties: entry?.schema.properties }) as object),
        sealedAgentSecret: 'x',
      },
      metadata: { workspaceId: 'w', actorId: 'u', correlationId: 'c' },
      occurredAt: new Date().toISOString(),
    } satisfies EventEnvelope);
    expect(fits(entry?.schema ?? {}, event?.data)).toBe(true);
  });
});
