import { Module } from '@nestjs/common';
import { domainsProjection, placementsMigration } from '@platform/domains';
import type { ServiceDefinition } from '@platform/service-kit';
import { dnsProviders } from './dns.providers';
import { DomainsController } from './domains.controller';

export const dnsDefinition: ServiceDefinition = {
  context: 'dns',
  projections: [domainsProjection],
  migrations: [placementsMigration],
};

@Module({
  controllers: [DomainsController],
  providers: dnsProviders,
})
export class DnsModule {}
