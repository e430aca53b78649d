import { randomBytes } from 'node:crypto';
import {
  CreateWebhookEndpoint,
  DeleteWebhookEndpoint,
  GetWebhookEndpoint,
  ListWebhookDeliveries,
  ListWebhookEndpoints,
  RedeliverWebhooks,
  RotateWebhookSecret,
  SendTestWebhook,
  UpdateWebhookEndpoint,
  webhookSecretContext,
} from '@platform/contracts';
import { checkOutboundUrl } from '@platform/outbound';
import type { SecretBox } from '@platform/secrets';
import type { FastifyRequest } from 'fastify';
import type { RouteBody, RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';
import { accessOf } from '../request-state';

/**
 * Webhook endpoints: their URL checked here (public addresses only, https), their signing secret made and sealed
 * here, so that it crosses the bus and reaches the webhooks service's storage only sealed, and is shown once.
 */
export class WebhooksResource {
  constructor(
    private readonly commands: CommandGateway,
    private readonly secrets: SecretBox,
    private readonly allowLoopbackHttp: boolean,
  ) {}

  list(request: FastifyRequest, query: RouteQuery<'listWebhooks'>) {
    return this.commands.relay(request, ListWebhookEndpoints, query);
  }

  get(request: FastifyRequest, endpointId: string) {
    return this.commands.relay(request, GetWebhookEndpoint, { endpointId });
  }

  async create(request: FastifyRequest, fields: RouteBody<'createWebhook'>) {
    await checkOutboundUrl(fields.url, { allowLoopbackHttp: this.allowLoopbackHttp });
    const webhookId = this.commands.newId(request, 'webhook');
    const { secret, sealedSecret } = this.newSecret(request, webhookId);
    const commandId = await this.commands.send(request, CreateWebhookEndpoint, {
      endpointId: webhookId,
      fields,
      sealedSecret,
    });
    return { webhookId, commandId, secret };
  }

  async update(request: FastifyRequest, endpointId: string, changes: RouteBody<'updateWebhook'>) {
    await this.commands.query(request, GetWebhookEndpoint, { endpointId });
    if (changes.url) await checkOutboundUrl(changes.url, { allowLoopbackHttp: this.allowLoopbackHttp });
    const commandId = await this.commands.send(request, UpdateWebhookEndpoint, { endpointId, changes });
    return { webhookId: endpointId, commandId };
  }

  async delete(request: FastifyRequest, endpointId: string) {
    await this.commands.query(request, GetWebhookEndpoint, { endpointId });
    const commandId = await this.commands.send(request, DeleteWebhookEndpoint, { endpointId });
    return { webhookId: endpointId, commandId };
  }

  async rotateSecret(request: FastifyRequest, endpointId: string) {
    await this.commands.query(request, GetWebhookEndpoint, { endpointId });
    const { secret, sealedSecret } = this.newSecret(request, endpointId);
    const commandId = await this.commands.send(request, RotateWebhookSecret, { endpointId, sealedSecret });
    return { webhookId: endpointId, commandId, secret };
  }

  sendTest(request: FastifyRequest, endpointId: string) {
    return this.commands.relay(request, SendTestWebhook, { endpointId });
  }

  deliveries(request: FastifyRequest, endpointId: string, query: RouteQuery<'listWebhookDeliveries'>) {
    return this.commands.relay(request, ListWebhookDeliveries, { endpointId, ...query });
  }

  redeliverOne(request: FastifyRequest, endpointId: string, deliveryId: string) {
    return this.commands.relay(request, RedeliverWebhooks, { endpointId, deliveryId });
  }

  redeliverFailed(request: FastifyRequest, endpointId: string, body: RouteBody<'redeliverWebhooks'>) {
    return this.commands.relay(request, RedeliverWebhooks, { endpointId, since: body.since });
  }

  /** `whsec_` and 32 random bytes in base64, as Standard Webhooks' libraries take it; sealed for its endpoint. */
  private newSecret(request: FastifyRequest, endpointId: string) {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const context = webhookSecretContext(accessOf(request).workspaceId, endpointId);
    return { secret, sealedSecret: this.secrets.seal(secret, context) };
  }
}
