import 'reflect-metadata';
import { exitOnStartFailure, startService } from '@platform/service-kit';
import { WebhooksModule, webhooksDefinition } from './webhooks.module';

startService({ definition: webhooksDefinition, module: WebhooksModule, defaultHttpPort: 4105 }).catch(
  exitOnStartFailure,
);
