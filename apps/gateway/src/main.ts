import 'reflect-metadata';
import { exitOnStartFailure } from '@platform/service-kit';
import { startGateway } from './start-gateway';

startGateway()
  .then(({ url }) => console.log(`\nPlatform API: ${url}/v1   documentation: ${url}/docs\n`))
  .catch(exitOnStartFailure);
