import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventFeed } from '../events/event-feed';
import type { RouteQuery } from '../api-router';
import { eventCatalogue } from '../events/event-catalogue';
import type { EventStreams } from '../events/event-streams';
import { accessOf } from '../request-state';

/** The workspace's live events (`GET /v1/events`) and the catalogue of their types (`GET /v1/event-types`). */
export class EventsResource {
  constructor(
    private readonly streams: EventStreams,
    private readonly feed: EventFeed,
  ) {}

  open(request: FastifyRequest, reply: FastifyReply, query: RouteQuery<'events'>) {
    const { replay, ...filter } = query;
    return this.streams.open(request, reply, { workspaceId: accessOf(request).workspaceId, ...filter }, replay);
  }

  /** The workspace's past events (`GET /v1/events/history`): what the console's Activity starts from. */
  history(request: FastifyRequest, query: RouteQuery<'listEventHistory'>) {
    const { limit, cursor, ...filter } = query;
    return this.feed.history({ workspaceId: accessOf(request).workspaceId, ...filter }, { limit, cursor });
  }

  types() {
    return { items: eventCatalogue };
  }
}
