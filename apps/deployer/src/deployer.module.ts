import { Module } from '@nestjs/common';
import { deployConfigsProjection } from '@platform/deployments';
import type { ServiceDefinition } from '@platform/service-kit';
import { DeployConfigsController } from './deploy-configs.controller';
import { deployerProviders } from './deployer.providers';

export const deployerDefinition: ServiceDefinition = {
  context: 'deployments',
  projections: [deployConfigsProjection],
};

@Module({ controllers: [DeployConfigsController], providers: deployerProviders })
export class DeployerModule {}
