import 'reflect-metadata';
import { exitOnStartFailure, startService } from '@platform/service-kit';
import { DnsModule, dnsDefinition } from './dns.module';

startService({ definition: dnsDefinition, module: DnsModule, defaultHttpPort: 4104 }).catch(exitOnStartFailure);
