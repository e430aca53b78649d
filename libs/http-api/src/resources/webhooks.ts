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
  apiRoutes,
  webhookSecretContext,
} from '@platform/contracts';
import type { AuditLog } from '@platform/identity';
import { checkOutboundUrl } from '@platform/outbound';
import type { SecretBox } from '@platform/secrets';
import type { FastifyRequest } from 'fastify';
import type { RouteBody, RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';
import { accessOf } from '../request-state';
import { recordRequestChange } from './request-audit';

/**
 * Webhook endpoints: their URL checked here (public addresses only, https), their signing secret made and sealed
 * here, so that it crosses the bus and reaches the webhooks service's storage only sealed, and is shown once.
 */
export class WebhooksResource {
  constructor(
    private readonly commands: CommandGateway,
    private readonly secrets: SecretBox,
    private readonly allowLoopbackHttp: boolean,
    private readonly audit: AuditLog,
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

  // Sending and sending again change what endpoints receive, but no event says so: each is recorded once done.
  async sendTest(request: FastifyRequest, endpointId: string) {
    const sent = await this.commands.relay(request, SendTestWebhook, { endpointId });
    await this.recordChange(request, apiRoutes.sendTestWebhook.operationId, endpointId);
    return sent;
  }

  deliveries(request: FastifyRequest, endpointId: string, query: RouteQuery<'listWebhookDeliveries'>) {
    return this.commands.relay(request, ListWebhookDeliveries, { endpointId, ...query });
  }

  async redeliverOne(request: FastifyRequest, endpointId: string, deliveryId: string) {
    const redelivered = await this.commands.relay(request, RedeliverWebhooks, { endpointId, deliveryId });
    await this.recordChange(request, apiRoutes.redeliverWebhookDelivery.operationId, endpointId);
    return redelivered;
  }

  async redeliverFailed(request: FastifyRequest, endpointId: string, body: RouteBody<'redeliverWebhooks'>) {
    const redelivered = await this.commands.relay(request, RedeliverWebhooks, { endpointId, since: body.since });
    await this.recordChange(request, apiRoutes.redeliverWebhooks.operationId, endpointId);
    return redelivered;
  }

  private recordChange(request: FastifyRequest, action: string, endpointId: string): Promise<void> {
    return recordRequestChange(this.audit, request, action, { type: 'webhook', id: endpointId });
  }

  /** `whsec_` and 32 random bytes in base64, as Standard Webhooks' libraries take it; sealed for its endpoint. */
  private newSecret(request: FastifyRequest, endpointId: string) {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const context = webhookSecretContext(accessOf(request).workspaceId, endpointId);
    return { secret, sealedSecret: this.secrets.seal(secret, context) };
  }
}
