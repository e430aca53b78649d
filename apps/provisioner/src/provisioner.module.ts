import { Module } from '@nestjs/common';
import { providerCredentialsMigrations, serversProjection, snapshotsProjection } from '@platform/servers';
import type { ServiceDefinition } from '@platform/service-kit';
import { provisionerProviders } from './provisioner.providers';
import { ServersController } from './servers.controller';

export const provisionerDefinition: ServiceDefinition = {
  context: 'servers',
  projections: [serversProjection, snapshotsProjection],
  migrations: providerCredentialsMigrations,
};

@Module({ controllers: [ServersController], providers: provisionerProviders })
export class ProvisionerModule {}
