import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { accessOf, Route, type EventStreams, type RouteCall } from '@platform/http-api';
import { EVENT_STREAMS } from '../tokens';

@Injectable()
export class EventsController {
  constructor(@Inject(EVENT_STREAMS) private readonly streams: EventStreams) {}

  @Route(apiRoutes.events)
  stream({ request, reply, input }: RouteCall<typeof apiRoutes.events>) {
    const { replay, ...filter } = input.query;
    return this.streams.open(request, reply, { workspaceId: accessOf(request).workspaceId, ...filter }, replay);
  }
}
