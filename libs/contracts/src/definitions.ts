import { z } from 'zod';
import { assertName, namePatterns } from './messages';

/**
 * A command, event or query is defined once here, with its bounded context, name, schema version and zod
 * schema; publishers and handlers both take the definition, so a name or a shape cannot drift between them.
 */
export interface CommandDefinition<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly kind: 'command';
  readonly context: string;
  readonly type: Type;
  readonly schemaVersion: number;
  readonly data: Schema;
}

export interface EventDefinition<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly kind: 'event';
  readonly context: string;
  readonly type: Type;
  readonly schemaVersion: number;
  readonly data: Schema;
}

export interface QueryDefinition<
  Name extends string = string,
  Params extends z.ZodType = z.ZodType,
  Result extends z.ZodType = z.ZodType,
> {
  readonly kind: 'query';
  readonly context: string;
  readonly name: Name;
  readonly params: Params;
  readonly result: Result;
}

export type CommandData<D extends CommandDefinition> = z.infer<D['data']>;
export type EventData<D extends EventDefinition> = z.infer<D['data']>;
export type QueryParams<D extends QueryDefinition> = z.infer<D['params']>;
export type QueryResult<D extends QueryDefinition> = z.infer<D['result']>;

/** `{ type, data }` for one event definition: the shape deciders emit and evolve over. */
export type EventOf<D extends EventDefinition> = { type: D['type']; data: z.infer<D['data']> };
export type CommandOf<D extends CommandDefinition> = { type: D['type']; data: z.infer<D['data']> };

export function defineCommand<const Type extends string, Schema extends z.ZodType>(
  context: string,
  type: Type,
  data: Schema,
  schemaVersion = 1,
): CommandDefinition<Type, Schema> {
  assertName('context', context, namePatterns.Context);
  assertName('command type', type);
  return { kind: 'command', context, type, schemaVersion, data };
}

export function defineEvent<const Type extends string, Schema extends z.ZodType>(
  context: string,
  type: Type,
  data: Schema,
  schemaVersion = 1,
): EventDefinition<Type, Schema> {
  assertName('context', context, namePatterns.Context);
  assertName('event type', type);
  return { kind: 'event', context, type, schemaVersion, data };
}

export function defineQuery<const Name extends string, Params extends z.ZodType, Result extends z.ZodType>(
  context: string,
  name: Name,
  params: Params,
  result: Result,
): QueryDefinition<Name, Params, Result> {
  assertName('context', context, namePatterns.Context);
  assertName('query name', name);
  return { kind: 'query', context, name, params, result };
}
