import { inspect } from 'node:util';
import { parse } from 'yaml';
import { AGENT_VERSION, DomainError } from '@platform/contracts';
import {
  MAX_USER_DATA_BYTES,
  renderPlatformServerUserData,
  SERVER_PATHS,
  type PlatformServerOptions,
} from './platform-server';

const SECRET = 'f'.repeat(24) + '0123456789abcdef0123456789abcdef0123456789ab';
const KEY_BODY = ['MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPrivateKeyLineOne', 'PrivateKeyLineTwoOfTheAgent'];
const TLS = {
  certificate: '-----BEGIN CERTIFICATE-----\nMIIBjzCCATagAwIBAgIRAOVkhAOZvT7h\n-----END CERTIFICATE-----\n',
  privateKey: `-----BEGIN PRIVATE KEY-----\n${KEY_BODY.join('\n')}\n-----END PRIVATE KEY-----\n`,
};
const TARBALL = { url: 'https://downloads.example.test/platform-agent/0.1.0/agent.tar.gz', sha256: 'c'.repeat(64) };

const fresh: PlatformServerOptions = {
  base: { kind: 'fresh-ubuntu', agentTarball: TARBALL },
  agent: { secret: SECRET, tls: TLS, port: 7100 },
  platformAddress: '203.0.113.7',
};
const fromSnapshot: PlatformServerOptions = { ...fresh, base: { kind: 'platform-snapshot' } };

interface WriteFile {
  path: string;
  content: string;
  owner: string;
  permissions: string;
}
interface CloudConfig {
  package_update?: boolean;
  packages?: string[];
  write_files: WriteFile[];
  runcmd: string[][];
}

function parsed(options: PlatformServerOptions): CloudConfig {
  return parse(renderPlatformServerUserData(options).reveal()) as CloudConfig;
}

function file(config: CloudConfig, path: string): WriteFile {
  const found = config.write_files.find((entry) => entry.path === path);
  if (!found) throw new Error(`no ${path} in write_files`);
  return found;
}

function ufwRules(config: CloudConfig): string[] {
  return config.runcmd.filter((command) => command[0] === 'ufw').map((command) => command.join(' '));
}

describe('platform server user data (cloud-init)', () => {
  it('is valid YAML starting with #cloud-config', () => {
    const text = renderPlatformServerUserData(fresh).reveal();
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    expect(() => parse(text)).not.toThrow();
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_USER_DATA_BYTES);
  });

  it('installs Docker, nginx and ufw on a fresh Ubuntu, and leaves ports 80/443 to the nginx the agent runs', () => {
    const config = parsed(fresh);
    expect(config.package_update).toBe(true);
    expect(config.packages).toEqual(expect.arrayContaining(['docker.io', 'nginx', 'ufw']));
    expect(config.runcmd).toContainEqual(['systemctl', 'mask', '--now', 'nginx.service']);
    expect(config.runcmd).toContainEqual(['systemctl', 'enable', '--now', 'docker.service']);
  });

  it('installs the agent from the tarball, checked against its SHA-256, at the expected version', () => {
    const config = parsed(fresh);
    const installer = file(config, SERVER_PATHS.installer);
    expect(installer.permissions).toBe('0755');
    expect(installer.content).toContain('sha256sum --check --strict');
    expect(installer.content).toMatch(/^set -eu$/m);
    expect(config.runcmd).toContainEqual([SERVER_PATHS.installer, TARBALL.url, TARBALL.sha256, AGENT_VERSION]);
    // The firewall is up before anything is downloaded or listens.
    const firewallUp = config.runcmd.findIndex((command) => command.join(' ') === 'ufw --force enable');
    const install = config.runcmd.findIndex((command) => command[0] === SERVER_PATHS.installer);
    expect(firewallUp).toBeGreaterThanOrEqual(0);
    expect(firewallUp).toBeLessThan(install);
  });

  it('runs the agent as a systemd service that reads its secret from a root-only file', () => {
    const config = parsed(fresh);
    const secret = file(config, SERVER_PATHS.secretFile);
    expect(secret.permissions).toBe('0600');
    expect(secret.owner).toBe('root:root');
    expect(secret.content.trim()).toBe(SECRET);

    const environment = file(config, SERVER_PATHS.environmentFile).content;
    expect(environment).toContain(`AGENT_SECRET_FILE=${SERVER_PATHS.secretFile}`);
    expect(environment).toContain(`AGENT_TLS_CERT_FILE=${SERVER_PATHS.certificateFile}`);
    expect(environment).toContain(`AGENT_TLS_KEY_FILE=${SERVER_PATHS.keyFile}`);
    expect(environment).toContain('AGENT_PORT=7100');
    expect(environment).toContain('AGENT_HOST=0.0.0.0');
    expect(environment).not.toContain(SECRET);

    const unit = file(config, SERVER_PATHS.agentUnit).content;
    expect(unit).toContain(`Description=Platform agent ${AGENT_VERSION}`);
    expect(unit).toContain(`EnvironmentFile=${SERVER_PATHS.environmentFile}`);
    expect(unit).toContain('After=network-online.target docker.service cloud-init.service');
    expect(unit).toContain('KillMode=process');
    expect(config.runcmd.slice(-2)).toEqual([
      ['systemctl', 'enable', 'platform-agent.service'],
      ['systemctl', 'restart', 'platform-agent.service'],
    ]);
  });

  it('gives the agent its certificate from the platform CA, and its key in a root-only file', () => {
    const config = parsed(fromSnapshot);
    expect(file(config, SERVER_PATHS.certificateFile).content).toBe(TLS.certificate);
    const key = file(config, SERVER_PATHS.keyFile);
    expect(key).toMatchObject({ content: TLS.privateKey, owner: 'root:root', permissions: '0600' });
  });

  it('opens only 80 and 443 to everyone and the agent port to the platform alone', () => {
    expect(
      ufwRules(
        parsed({ ...fresh, agent: { secret: SECRET, tls: TLS, port: 7443 }, platformAddress: '198.51.100.0/24' }),
      ),
    ).toEqual([
      'ufw --force reset',
      'ufw default deny incoming',
      'ufw default allow outgoing',
      'ufw allow 80/tcp',
      'ufw allow 443/tcp',
      'ufw allow proto tcp from 198.51.100.0/24 to any port 7443',
      'ufw --force enable',
    ]);
  });

  it('keeps containers away from the metadata service, which serves the user data', () => {
    const config = parsed(fresh);
    expect(file(config, SERVER_PATHS.metadataGuardUnit).content).toContain('DOCKER-USER -d 169.254.169.254 -j REJECT');
    expect(config.runcmd).toContainEqual(['systemctl', 'enable', '--now', 'platform-metadata-guard.service']);
  });

  it('on a platform snapshot, installs nothing but gives the server its own secret and firewall and restarts the agent', () => {
    const config = parsed(fromSnapshot);
    expect(config.packages).toBeUndefined();
    expect(config.write_files.map((entry) => entry.path)).not.toContain(SERVER_PATHS.installer);
    expect(file(config, SERVER_PATHS.secretFile).content.trim()).toBe(SECRET);
    expect(ufwRules(config)).toContain('ufw allow proto tcp from 203.0.113.7 to any port 7100');
    expect(config.runcmd).toContainEqual(['systemctl', 'restart', 'platform-agent.service']);
  });

  it('never shows the secret or the TLS key when logged, printed, serialised or described', () => {
    const userData = renderPlatformServerUserData(fresh);
    expect(userData.reveal()).toContain(SECRET);
    expect(userData.reveal()).toContain(KEY_BODY[0]);
    for (const shown of [
      String(userData),
      `${userData.toString()}`,
      JSON.stringify({ userData }),
      inspect(userData),
      inspect({ nested: { userData } }),
      userData.redacted,
    ]) {
      expect(shown).not.toContain(SECRET);
      for (const line of KEY_BODY) expect(shown).not.toContain(line);
    }
    expect(userData.redacted).toContain('[redacted]');
    expect(Object.keys(userData)).toEqual([]);
  });

  it.each([
    ['a platform address of 0.0.0.0/0', { ...fresh, platformAddress: '0.0.0.0/0' }, 'platformAddress'],
    ['a platform address that is not one', { ...fresh, platformAddress: '203.0.113.7; rm -rf /' }, 'platformAddress'],
    [
      'an http tarball',
      {
        ...fresh,
        base: { kind: 'fresh-ubuntu', agentTarball: { ...TARBALL, url: 'http://downloads.example.test/a.tgz' } },
      },
      'base.agentTarball.url',
    ],
    [
      'a tarball URL with shell characters',
      { ...fresh, base: { kind: 'fresh-ubuntu', agentTarball: { ...TARBALL, url: "https://x.test/a.tgz'$(reboot)" } } },
      'base.agentTarball.url',
    ],
    [
      'a short checksum',
      { ...fresh, base: { kind: 'fresh-ubuntu', agentTarball: { ...TARBALL, sha256: 'abc' } } },
      'base.agentTarball.sha256',
    ],
    ['a secret with a newline', { ...fresh, agent: { secret: `${SECRET}\nruncmd: [reboot]` } }, 'agent.secret'],
    ['the agent on port 443', { ...fresh, agent: { secret: SECRET, tls: TLS, port: 443 } }, 'agent.port'],
    [
      'a version that is not one',
      { ...fresh, agent: { secret: SECRET, tls: TLS, version: 'latest' } },
      'agent.version',
    ],
  ] as [string, PlatformServerOptions, string][])('refuses %s, naming the setting', (_case, options, path) => {
    let caught: unknown;
    try {
      renderPlatformServerUserData(options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    const error = caught as DomainError;
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(JSON.stringify(error.toBody())).not.toContain(SECRET);
  });
});
