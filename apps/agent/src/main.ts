import { Agent, buildAgentServer, loadAgentConfig, readAgentTls } from '@platform/agent';
import { createLogger } from '@platform/service-kit/src/logging';

/** The node agent: one per server, bound to the server's address; see libs/agent for what it does. */
async function main(): Promise<void> {
  const config = loadAgentConfig();
  const logger = createLogger({ name: 'agent', level: config.logLevel, replicaId: config.agentId });
  const tls = await readAgentTls(config.tls);
  const agent = await Agent.start(config);
  const server = buildAgentServer(agent, logger, tls);
  await server.listen({ host: config.http.host, port: config.http.port });
  logger.info({ address: `https://${config.http.host}:${config.http.port}`, agentId: config.agentId }, 'agent ready');

  const stop = (signal: string) => {
    logger.info({ signal }, 'agent stopping; nginx and the containers keep serving');
    agent.close();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`agent failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
