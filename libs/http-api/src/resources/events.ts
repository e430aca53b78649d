import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteQuery } from '../api-router';
import type { EventStreams } from '../events/event-streams';
import { accessOf } from '../request-state';

/** The workspace's live events (`GET /v1/events`). */
export class EventsResource {
  constructor(private readonly streams: EventStreams) {}

  open(request: FastifyRequest, reply: FastifyReply, query: RouteQuery<'events'>) {
    const { replay, ...filter } = query;
    return this.streams.open(request, reply, { workspaceId: accessOf(request).workspaceId, ...filter }, replay);
  }
}
