import 'reflect-metadata';
import { exitOnStartFailure, startService } from '@platform/service-kit';
import { ProvisionerModule, provisionerDefinition } from './provisioner.module';

startService({ definition: provisionerDefinition, module: ProvisionerModule, defaultHttpPort: 4101 }).catch(
  exitOnStartFailure,
);
