import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AGENT_VERSION } from '@platform/contracts';
import { build } from 'esbuild';

const run = promisify(execFile);
const AGENT_ENTRY = resolve(__dirname, '../main.ts');

export interface AgentReleaseOptions {
  /** Where the tarball is written. */
  readonly outDir: string;
  /**
   * The Node.js runtime to ship: this process's by default. The official Linux builds need only glibc and
   * libstdc++, so one runs on the Ubuntu images droplets boot.
   */
  readonly nodeBinary?: string;
}

export interface AgentRelease {
  readonly file: string;
  readonly sha256: string;
  readonly version: string;
  readonly bytes: number;
}

/** Starts the bundled agent on the bundled runtime, wherever the release was unpacked (systemd runs it from `current`). */
const LAUNCHER = `#!/bin/sh
here="$(cd "$(dirname "$0")/.." && pwd)"
exec "$here/node/bin/node" --max-semi-space-size=1 "$here/app/agent.js" "$@"
`;

/**
 * The agent release cloud-init installs on a stock server image (see libs/cloud's cloud-init): a tar.gz of
 * `bin/platform-agent`, the agent bundled into one file with its dependencies, and a Node.js runtime — nothing
 * to install from a registry on the server. Its name carries the version; its SHA-256 goes into the user data.
 */
export async function buildAgentRelease(options: AgentReleaseOptions): Promise<AgentRelease> {
  const staging = await mkdtemp(join(tmpdir(), 'agent-release-'));
  try {
    await mkdir(join(staging, 'bin'));
    await mkdir(join(staging, 'app'));
    await mkdir(join(staging, 'node', 'bin'), { recursive: true });
    await build({
      entryPoints: [AGENT_ENTRY],
      outfile: join(staging, 'app', 'agent.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      // Native add-ons ssh2 would use if present; the agent speaks to the local Docker socket, never over SSH.
      external: ['cpu-features', '*.node'],
      legalComments: 'linked',
      logLevel: 'silent',
    });
    await writeFile(join(staging, 'bin', 'platform-agent'), LAUNCHER, { mode: 0o755 });
    await copyFile(options.nodeBinary ?? process.execPath, join(staging, 'node', 'bin', 'node'));
    await chmod(join(staging, 'node', 'bin', 'node'), 0o755);
    await mkdir(options.outDir, { recursive: true });
    const file = join(resolve(options.outDir), `platform-agent-${AGENT_VERSION}-linux-x64.tar.gz`);
    // Fixed arguments only; `--owner=0 --group=0` so the servers' root owns what it unpacks.
    await run('tar', [
      '--create',
      '--gzip',
      '--owner=0',
      '--group=0',
      '--file',
      file,
      '--directory',
      staging,
      'bin',
      'app',
      'node',
    ]);
    const bytes = await readFile(file);
    return {
      file,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      version: AGENT_VERSION,
      bytes: bytes.length,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
