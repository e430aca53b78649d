import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteQuery } from '../api-router';
import { eventCatalogue } from '../events/event-catalogue';
import type { EventStreams } from '../events/event-streams';
import { accessOf } from '../request-state';

/** The workspace's live events (`GET /v1/events`) and the catalogue of their types (`GET /v1/event-types`). */
export class EventsResource {
  constructor(private readonly streams: EventStreams) {}

  open(request: FastifyRequest, reply: FastifyReply, query: RouteQuery<'events'>) {
    const { replay, ...filter } = query;
    return this.streams.open(request, reply, { workspaceId: accessOf(request).workspaceId, ...filter }, replay);
  }

  types() {
    return { items: eventCatalogue };
  }
}
