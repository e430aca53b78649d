import { Controller, Inject, Req, Res } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { accessOf, Input, Route, type EventStreams, type RouteInput } from '@platform/http-api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_STREAMS } from '../tokens';

@Controller()
export class EventsController {
  constructor(@Inject(EVENT_STREAMS) private readonly streams: EventStreams) {}

  @Route(apiRoutes.events)
  stream(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Input() input: RouteInput<typeof apiRoutes.events>) {
    const { replay, ...filter } = input.query;
    return this.streams.open(request, reply, { workspaceId: accessOf(request).workspaceId, ...filter }, replay);
  }
}
