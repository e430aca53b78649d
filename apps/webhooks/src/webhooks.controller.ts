import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import {
  CreateWebhookEndpoint,
  DeleteWebhookEndpoint,
  DisableWebhookEndpoint,
  GetWebhookEndpoint,
  ListWebhookDeliveries,
  ListWebhookEndpoints,
  RedeliverWebhooks,
  RotateWebhookSecret,
  SendTestWebhook,
  UpdateWebhookEndpoint,
} from '@platform/contracts';
import { type DeliveryStore, type WebhookDeliveryProcess, type WebhookEndpointQueries } from '@platform/webhooks';
import {
  DELIVERY_PROCESS,
  DELIVERY_STORE,
  ENDPOINT_COMMANDS,
  ENDPOINT_QUERIES,
  type EndpointCommandHandler,
} from './webhooks.providers';

@Controller()
export class WebhooksController {
  constructor(
    @Inject(ENDPOINT_COMMANDS) private readonly commands: EndpointCommandHandler,
    @Inject(ENDPOINT_QUERIES) private readonly endpoints: WebhookEndpointQueries,
    @Inject(DELIVERY_STORE) private readonly deliveries: DeliveryStore,
    @Inject(DELIVERY_PROCESS) private readonly process: WebhookDeliveryProcess,
  ) {}

  @OnCommand(CreateWebhookEndpoint)
  create(command: CommandMessage<typeof CreateWebhookEndpoint>) {
    return this.commands.handle(command);
  }

  @OnCommand(UpdateWebhookEndpoint)
  update(command: CommandMessage<typeof UpdateWebhookEndpoint>) {
    return this.commands.handle(command);
  }

  @OnCommand(DeleteWebhookEndpoint)
  delete(command: CommandMessage<typeof DeleteWebhookEndpoint>) {
    return this.commands.handle(command);
  }

  @OnCommand(RotateWebhookSecret)
  rotate(command: CommandMessage<typeof RotateWebhookSecret>) {
    return this.commands.handle(command);
  }

  @OnCommand(DisableWebhookEndpoint)
  disable(command: CommandMessage<typeof DisableWebhookEndpoint>) {
    return this.commands.handle(command);
  }

  @OnQuery(ListWebhookEndpoints, { cached: true })
  list(query: QueryMessage<typeof ListWebhookEndpoints>) {
    return this.endpoints.list(query.workspaceId, query.params);
  }

  @OnQuery(GetWebhookEndpoint, { cached: true })
  get(query: QueryMessage<typeof GetWebhookEndpoint>) {
    return this.endpoints.get(query.workspaceId, query.params);
  }

  @OnQuery(ListWebhookDeliveries)
  async deliveryLog(query: QueryMessage<typeof ListWebhookDeliveries>) {
    await this.endpoints.get(query.workspaceId, { endpointId: query.params.endpointId });
    return this.deliveries.list(query.workspaceId, query.params);
  }

  @OnQuery(RedeliverWebhooks)
  async redeliver(query: QueryMessage<typeof RedeliverWebhooks>) {
    const { endpointId, ...which } = query.params;
    return { redelivered: await this.process.redeliver(query.workspaceId, endpointId, which) };
  }

  @OnQuery(SendTestWebhook)
  async sendTest(query: QueryMessage<typeof SendTestWebhook>) {
    return { deliveryId: await this.process.sendTest(query.workspaceId, query.params.endpointId) };
  }
}
