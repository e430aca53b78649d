// npm run agent:release [-- <out dir>]: builds the agent release that cloud-init installs on DigitalOcean servers
// made from a stock image (snapshot builders), and prints the provisioner settings that point at it.
import { join } from 'node:path';
import { buildAgentRelease } from '../apps/agent/src/release/agent-release';

async function main(): Promise<void> {
  const outDir = process.argv[2] ?? join(__dirname, '..', 'dist', 'agent-releases');
  console.log('Bundling the agent with its Node.js runtime…');
  const release = await buildAgentRelease({ outDir });
  console.log(`\nAgent ${release.version}: ${release.file} (${(release.bytes / 1024 / 1024).toFixed(1)} MiB)`);
  console.log('Publish it at an https URL the droplets can reach, then give the provisioner:');
  console.log(`  AGENT_RELEASE_URL=https://<where you published it>/${release.file.split('/').pop()}`);
  console.log(`  AGENT_RELEASE_SHA256=${release.sha256}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
