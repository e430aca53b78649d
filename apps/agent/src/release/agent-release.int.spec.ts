import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AgentClient } from '@platform/agent-client';
import { agentServerName, generateAgentSecret, writeSecretFile } from '@platform/agent-protocol';
import { AGENT_VERSION } from '@platform/contracts';
import { PlatformCertificateAuthority } from '@platform/secrets';
import { eventually, freePort } from '@platform/testing';
import { buildAgentRelease, type AgentRelease } from './agent-release';

const run = promisify(execFile);

describe('the agent release cloud-init installs', () => {
  let workDir: string;
  let release: AgentRelease;
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'agent-release-test-'));
    release = await buildAgentRelease({ outDir: join(workDir, 'out') });
  }, 120_000);
  afterAll(() => rm(workDir, { recursive: true, force: true }));

  it('unpacks as the installer expects and runs the agent at the platform version from bin/platform-agent', async () => {
    expect(release.file).toMatch(
      new RegExp(`platform-agent-${AGENT_VERSION.replace(/\./g, '\\.')}-linux-x64\\.tar\\.gz$`),
    );
    expect(release.sha256).toMatch(/^[0-9a-f]{64}$/);
    const { stdout: sum } = await run('sha256sum', [release.file]);
    expect(sum.split(' ')[0]).toBe(release.sha256);

    // As install-agent.sh does: unpack without keeping owners, and check the launcher is executable.
    const installed = join(workDir, 'installed');
    await run('mkdir', ['-p', installed]);
    await run('tar', ['-xzf', release.file, '-C', installed, '--no-same-owner']);
    expect((await stat(join(installed, 'bin/platform-agent'))).mode & 0o111).not.toBe(0);
    const { stdout: listing } = await run('tar', ['-tzf', release.file]);
    expect(
      listing
        .split('\n')
        .filter(Boolean)
        .every((entry) => /^(bin|app|node)(\/|$)/.test(entry)),
    ).toBe(true);

    const dataDir = join(workDir, 'data');
    await run('mkdir', ['-p', dataDir]);
    const secret = generateAgentSecret();
    await writeSecretFile(join(dataDir, 'agent.secret'), secret);
    const { ca } = await PlatformCertificateAuthority.generate();
    const issued = await ca.issueServerCertificate({ name: agentServerName(secret), address: '127.0.0.1' });
    await writeFile(join(dataDir, 'agent.crt'), issued.certificate);
    await writeFile(join(dataDir, 'agent.key'), issued.privateKey, { mode: 0o600 });
    const [port, edgeHttp, edgeHttps] = [await freePort(), await freePort(), await freePort()];
    // Only what the unit's environment file gives it (no repository, no node_modules on the path).
    const agent = spawn(join(installed, 'bin/platform-agent'), [], {
      cwd: '/',
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        AGENT_ID: 'release-test',
        AGENT_HOST: '127.0.0.1',
        AGENT_PORT: String(port),
        AGENT_SECRET_FILE: join(dataDir, 'agent.secret'),
        AGENT_TLS_CERT_FILE: join(dataDir, 'agent.crt'),
        AGENT_TLS_KEY_FILE: join(dataDir, 'agent.key'),
        AGENT_DATA_DIR: dataDir,
        EDGE_ADDRESS: '127.0.0.1',
        EDGE_HTTP_PORT: String(edgeHttp),
        EDGE_HTTPS_PORT: String(edgeHttps),
        LOG_LEVEL: 'warn',
      },
    });
    let errors = '';
    agent.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const exited = new Promise<number | null>((done) => agent.once('exit', (code) => done(code)));
    try {
      const client = new AgentClient({
        baseUrl: `https://127.0.0.1:${port}`,
        secret,
        ca: ca.certificate,
        timeoutMs: 2000,
      });
      const version = await eventually(() => client.version(), 30_000);
      expect(version.agentVersion).toBe(AGENT_VERSION);
      expect((await client.health()).status).toBe('ok');
      // A request signed with another secret is refused: the release reads the secret file it is given.
      const stranger = new AgentClient({
        baseUrl: `https://127.0.0.1:${port}`,
        secret: generateAgentSecret(),
        ca: ca.certificate,
        timeoutMs: 2000,
      });
      await expect(stranger.version()).rejects.toThrow();
    } finally {
      agent.kill('SIGTERM');
      await exited;
      await run('sh', [
        '-c',
        `test -f "$1/nginx/nginx.pid" && kill "$(cat "$1/nginx/nginx.pid")" || true`,
        'sh',
        dataDir,
      ]);
    }
    expect(errors).not.toMatch(/Cannot find module|Error:/);
  }, 90_000);
});
