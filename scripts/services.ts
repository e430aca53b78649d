/**
 * The platform's services in one Node.js process, as `npm start` and `npm run demo` run them on one machine: each
 * keeps its own port, database schema, bus consumers and log file, and they share one runtime and the libraries
 * they all load (a process each cost about 80 MB apiece at rest). Deployed apart (the Dockerfile,
 * docker-compose.yml), each service runs in a process of its own from its apps/<name>/src/main.ts.
 *   PLATFORM_SERVICES=gateway=8080,deployer=4102,…   the services to run and their ports
 *   PLATFORM_LOGS_DIR=<directory>                    each service's log in <directory>/<service>.log, else stdout
 */
import 'reflect-metadata';
import path from 'node:path';
import { ConfigError, exitOnStartFailure, startService } from '@platform/service-kit';
import { pino, type DestinationStream } from 'pino';
import { DeployerModule, deployerDefinition } from '../apps/deployer/src/deployer.module';
import { DnsModule, dnsDefinition } from '../apps/dns/src/dns.module';
import { startGateway } from '../apps/gateway/src/start-gateway';
import { MetricsModule, metricsDefinition } from '../apps/metrics/src/metrics.module';
import { ProvisionerModule, provisionerDefinition } from '../apps/provisioner/src/provisioner.module';
import { WebhooksModule, webhooksDefinition } from '../apps/webhooks/src/webhooks.module';

interface Running {
  stop(): Promise<void>;
}

type Start = (env: NodeJS.ProcessEnv, logDestination: DestinationStream | undefined) => Promise<Running>;

/** Each service: how it starts in this process, and the setting that names its port. */
export const platformServices: Record<string, { portVariable: string; start: Start }> = {
  gateway: {
    portVariable: 'GATEWAY_PORT',
    start: (env, logDestination) => startGateway({ env, handleSignals: false, logDestination }),
  },
  provisioner: {
    portVariable: 'HTTP_PORT',
    start: (env, logDestination) =>
      startService({
        definition: provisionerDefinition,
        module: ProvisionerModule,
        defaultHttpPort: 4101,
        env,
        handleSignals: false,
        logDestination,
      }),
  },
  deployer: {
    portVariable: 'HTTP_PORT',
    start: (env, logDestination) =>
      startService({
        definition: deployerDefinition,
        module: DeployerModule,
        defaultHttpPort: 4102,
        env,
        handleSignals: false,
        logDestination,
      }),
  },
  metrics: {
    portVariable: 'HTTP_PORT',
    start: (env, logDestination) =>
      startService({
        definition: metricsDefinition,
        module: MetricsModule,
        defaultHttpPort: 4103,
        env,
        handleSignals: false,
        logDestination,
      }),
  },
  dns: {
    portVariable: 'HTTP_PORT',
    start: (env, logDestination) =>
      startService({
        definition: dnsDefinition,
        module: DnsModule,
        defaultHttpPort: 4104,
        env,
        handleSignals: false,
        logDestination,
      }),
  },
  webhooks: {
    portVariable: 'HTTP_PORT',
    start: (env, logDestination) =>
      startService({
        definition: webhooksDefinition,
        module: WebhooksModule,
        defaultHttpPort: 4105,
        env,
        handleSignals: false,
        logDestination,
      }),
  },
};

function requested(setting: string | undefined): { name: string; port: string }[] {
  const entries = (setting ?? '').split(',').filter(Boolean);
  if (entries.length === 0)
    throw new ConfigError(['PLATFORM_SERVICES names no service (e.g. gateway=8080,deployer=4102)']);
  return entries.map((entry) => {
    const [name, port] = entry.split('=');
    if (!(name in platformServices)) {
      throw new ConfigError([
        `PLATFORM_SERVICES: no service "${name}" (known: ${Object.keys(platformServices).join(', ')})`,
      ]);
    }
    if (!/^\d{1,5}$/.test(port ?? '')) {
      throw new ConfigError([`PLATFORM_SERVICES: "${entry}" needs a port, as ${name}=4102`]);
    }
    return { name, port };
  });
}

async function main(): Promise<void> {
  const logsDir = process.env.PLATFORM_LOGS_DIR;
  const running = new Map<string, Running>();
  let stopping: Promise<void> | undefined;
  // The gateway first, so that no request arrives for a service already stopped; then the rest together.
  const stopAll = () =>
    (stopping ??= (async () => {
      await running.get('gateway')?.stop();
      await Promise.all([...running].filter(([name]) => name !== 'gateway').map(([, service]) => service.stop()));
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopAll().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('stopping the services failed:', error);
          process.exit(1);
        },
      );
    });
  }
  await Promise.all(
    requested(process.env.PLATFORM_SERVICES).map(async ({ name, port }) => {
      const { portVariable, start } = platformServices[name];
      const logDestination = logsDir
        ? pino.destination({ dest: path.join(logsDir, `${name}.log`), mkdir: true, sync: true, mode: 0o600 })
        : undefined;
      running.set(name, await start({ ...process.env, [portVariable]: port }, logDestination));
    }),
  );
}

main().catch(exitOnStartFailure);
