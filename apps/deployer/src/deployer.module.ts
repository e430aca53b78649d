import { Module } from '@nestjs/common';
import { deployConfigsProjection, servicesProjection } from '@platform/deployments';
import type { ServiceDefinition } from '@platform/service-kit';
import { DeployConfigsController } from './deploy-configs.controller';
import { deployerProviders } from './deployer.providers';
import { DeploymentsController } from './deployments.controller';
import { ProjectsController } from './projects.controller';
import { ServicesController } from './services.controller';

export const deployerDefinition: ServiceDefinition = {
  context: 'deployments',
  projections: [deployConfigsProjection, servicesProjection],
};

@Module({
  controllers: [DeployConfigsController, ProjectsController, ServicesController, DeploymentsController],
  providers: deployerProviders,
})
export class DeployerModule {}
