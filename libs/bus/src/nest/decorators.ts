import { applyDecorators, Catch, UseFilters, type RpcExceptionFilter } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type {
  CommandData,
  CommandDefinition,
  CommandEnvelope,
  QueryDefinition,
  QueryParams,
  QueryRequest,
} from '@platform/contracts';
import { throwError, type Observable } from 'rxjs';

/** The `@Payload()` of an `@OnCommand(definition)` handler: the envelope, its data already checked. */
export type CommandMessage<D extends CommandDefinition> = CommandEnvelope<CommandData<D>>;
/** The `@Payload()` of an `@OnQuery(definition)` handler: the request, its params already checked. */
export type QueryMessage<D extends QueryDefinition> = QueryRequest<QueryParams<D>>;

export type BusRoute =
  { kind: 'command'; definition: CommandDefinition } | { kind: 'query'; definition: QueryDefinition; cached: boolean };

const BUS_ROUTE = 'platformBusRoute';

/**
 * Nest turns any error that is not an RpcException into a generic "Internal server error" object. The transport
 * needs the error itself, to tell a refusal (DomainError) from a failure, so these handlers hand it over as is.
 */
@Catch()
class PassErrorsToTransport implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Handles one command of the JetStreamTransport's context. Return `{ eventIds }` (or nothing) after the work is
 * committed; throw a DomainError to refuse the command. The payload is a CommandMessage<typeof definition>.
 */
export function OnCommand(definition: CommandDefinition) {
  const route: BusRoute = { kind: 'command', definition };
  return applyDecorators(
    MessagePattern({ kind: 'command', context: definition.context, type: definition.type }, { [BUS_ROUTE]: route }),
    UseFilters(new PassErrorsToTransport()),
  );
}

/**
 * Answers one query of the JetStreamTransport's context. The payload is a QueryMessage<typeof definition>.
 * `cached`: the answer depends only on the workspace, the params and read models written by projections, so it
 * may be served from the service's QueryCache until a projection commits a change in that workspace.
 */
export function OnQuery(definition: QueryDefinition, options: { cached?: boolean } = {}) {
  const route: BusRoute = { kind: 'query', definition, cached: options.cached ?? false };
  return applyDecorators(
    MessagePattern({ kind: 'query', context: definition.context, name: definition.name }, { [BUS_ROUTE]: route }),
    UseFilters(new PassErrorsToTransport()),
  );
}

/** The route an @OnCommand / @OnQuery decorator left in a Nest handler's extras. */
export function busRouteOf(extras: Record<string, unknown> | undefined): BusRoute | undefined {
  const candidate = extras?.[BUS_ROUTE];
  if (typeof candidate !== 'object' || candidate === null || !('kind' in candidate)) return undefined;
  return candidate as BusRoute;
}
