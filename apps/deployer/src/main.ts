import 'reflect-metadata';
import { exitOnStartFailure, startService } from '@platform/service-kit';
import { DeployerModule, deployerDefinition } from './deployer.module';

startService({ definition: deployerDefinition, module: DeployerModule, defaultHttpPort: 4102 }).catch(
  exitOnStartFailure,
);
