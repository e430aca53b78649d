import { Module } from '@nestjs/common';
import { applicationsProjection, deployConfigsProjection } from '@platform/deployments';
import type { ServiceDefinition } from '@platform/service-kit';
import { ApplicationsController } from './deployments.controller';
import { DeployConfigsController } from './deploy-configs.controller';
import { deployerProviders } from './deployer.providers';

export const deployerDefinition: ServiceDefinition = {
  context: 'deployments',
  projections: [deployConfigsProjection, applicationsProjection],
};

@Module({ controllers: [DeployConfigsController, ApplicationsController], providers: deployerProviders })
export class DeployerModule {}
