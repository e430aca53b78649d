/** `npm start`: the platform on this machine, until Ctrl-C. `npm start -- --verbose` shows the services' logs. */
import { consoleUrl, gatewayUrl, logsDir, startPlatform } from './platform';

async function main(): Promise<void> {
  const started = Date.now();
  const platform = await startPlatform();
  console.log(`✔ the platform is running (${platform.names.join(', ')}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s)
    Console        ${consoleUrl}
    API            ${gatewayUrl}/v1
    Documentation  ${gatewayUrl}/docs
    Service logs   ${logsDir}/<service>.log

  Try it:  curl -X POST ${gatewayUrl}/v1/auth/signup -H 'content-type: application/json' \\
             -d '{"email":"you@example.com","password":"a long password","workspaceName":"mine"}'
           (the first account owns this instance; others join by invitation unless SIGNUP=open)
  Or run \`npm run demo\` for servers and a deployed sample app.

Press Ctrl-C to stop.`);
  await platform.exited();
  console.log('✔ the platform stopped');
}

main().catch((error: unknown) => {
  console.error(`✖ ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
