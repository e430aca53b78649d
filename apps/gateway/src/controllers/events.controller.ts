import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { EventsResource, Route, type RouteCall } from '@platform/http-api';

@Injectable()
export class EventsController {
  constructor(@Inject(EventsResource) private readonly events: EventsResource) {}

  @Route(apiRoutes.events)
  stream({ request, reply, input }: RouteCall<typeof apiRoutes.events>) {
    return this.events.open(request, reply, input.query);
  }

  @Route(apiRoutes.listEventHistory)
  history({ request, input }: RouteCall<typeof apiRoutes.listEventHistory>) {
    return this.events.history(request, input.query);
  }

  @Route(apiRoutes.listEventTypes)
  types() {
    return this.events.types();
  }
}
