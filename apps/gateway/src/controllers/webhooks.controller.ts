import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { Route, WebhooksResource, type RouteCall } from '@platform/http-api';

@Injectable()
export class WebhooksController {
  constructor(@Inject(WebhooksResource) private readonly webhooks: WebhooksResource) {}

  @Route(apiRoutes.listWebhooks)
  list({ request, input }: RouteCall<typeof apiRoutes.listWebhooks>) {
    return this.webhooks.list(request, input.query);
  }

  @Route(apiRoutes.createWebhook)
  create({ request, input }: RouteCall<typeof apiRoutes.createWebhook>) {
    return this.webhooks.create(request, input.body);
  }

  @Route(apiRoutes.getWebhook)
  get({ request, input }: RouteCall<typeof apiRoutes.getWebhook>) {
    return this.webhooks.get(request, input.params.id);
  }

  @Route(apiRoutes.updateWebhook)
  update({ request, input }: RouteCall<typeof apiRoutes.updateWebhook>) {
    return this.webhooks.update(request, input.params.id, input.body);
  }

  @Route(apiRoutes.deleteWebhook)
  delete({ request, input }: RouteCall<typeof apiRoutes.deleteWebhook>) {
    return this.webhooks.delete(request, input.params.id);
  }

  @Route(apiRoutes.rotateWebhookSecret)
  rotateSecret({ request, input }: RouteCall<typeof apiRoutes.rotateWebhookSecret>) {
    return this.webhooks.rotateSecret(request, input.params.id);
  }

  @Route(apiRoutes.sendTestWebhook)
  sendTest({ request, input }: RouteCall<typeof apiRoutes.sendTestWebhook>) {
    return this.webhooks.sendTest(request, input.params.id);
  }

  @Route(apiRoutes.listWebhookDeliveries)
  deliveries({ request, input }: RouteCall<typeof apiRoutes.listWebhookDeliveries>) {
    return this.webhooks.deliveries(request, input.params.id, input.query);
  }

  @Route(apiRoutes.redeliverWebhookDelivery)
  redeliverOne({ request, input }: RouteCall<typeof apiRoutes.redeliverWebhookDelivery>) {
    return this.webhooks.redeliverOne(request, input.params.id, input.params.deliveryId);
  }

  @Route(apiRoutes.redeliverWebhooks)
  redeliverFailed({ request, input }: RouteCall<typeof apiRoutes.redeliverWebhooks>) {
    return this.webhooks.redeliverFailed(request, input.params.id, input.body);
  }
}
