import 'reflect-metadata';
import { exitOnStartFailure, startService } from '@platform/service-kit';
import { MetricsModule, metricsDefinition } from './metrics.module';

startService({ definition: metricsDefinition, module: MetricsModule, defaultHttpPort: 4103 }).catch(exitOnStartFailure);
