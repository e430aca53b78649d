/** `npm start`: the platform on this machine, until Ctrl-C. */
import { consoleUrl, gatewayUrl, startPlatform } from './platform';

async function main(): Promise<void> {
  const platform = await startPlatform();
  console.log('\nThe platform is running:');
  for (const { name, port } of platform.children) console.log(`  ✔ ${name.padEnd(12)} http://127.0.0.1:${port}/readyz`);
  console.log(`\n  Console        ${consoleUrl}`);
  console.log(`  API            ${gatewayUrl}/v1`);
  console.log(`  Documentation  ${gatewayUrl}/docs`);
  console.log(`  Try it:        curl -X POST ${gatewayUrl}/v1/auth/signup -H 'content-type: application/json' \\`);
  console.log(
    `                   -d '{"email":"you@example.com","password":"a long password","workspaceName":"mine"}'`,
  );
  console.log('  Or run `npm run demo` for servers and a deployed sample app.');
  console.log('\nPress Ctrl-C to stop.\n');
  await platform.exited();
}

main().catch((error: unknown) => {
  console.error(`✘ ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
