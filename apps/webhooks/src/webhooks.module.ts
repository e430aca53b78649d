import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@platform/service-kit';
import { webhookEndpointsProjection } from '@platform/webhooks';
import { WebhooksController } from './webhooks.controller';
import { webhooksProviders } from './webhooks.providers';

export const webhooksDefinition: ServiceDefinition = {
  context: 'webhooks',
  projections: [webhookEndpointsProjection],
};

@Module({
  controllers: [WebhooksController],
  providers: webhooksProviders,
})
export class WebhooksModule {}
