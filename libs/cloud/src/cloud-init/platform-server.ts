import { isIP } from 'node:net';
import { inspect } from 'node:util';
import { Document, isSeq } from 'yaml';
import { z } from 'zod';
import { AGENT_VERSION, DomainError, parseOrThrow } from '@platform/contracts';

/** Where the agent lives on a server; the agent's own settings (libs/agent config) point here. */
export const SERVER_PATHS = {
  configDir: '/etc/platform-agent',
  secretFile: '/etc/platform-agent/agent.secret',
  certificateFile: '/etc/platform-agent/agent.crt',
  keyFile: '/etc/platform-agent/agent.key',
  environmentFile: '/etc/platform-agent/agent.env',
  installer: '/usr/local/lib/platform-agent/install-agent.sh',
  installRoot: '/opt/platform-agent',
  dataDir: '/var/lib/platform-agent',
  agentUnit: '/etc/systemd/system/platform-agent.service',
  metadataGuardUnit: '/etc/systemd/system/platform-metadata-guard.service',
} as const;

/** DigitalOcean refuses larger user data. */
export const MAX_USER_DATA_BYTES = 64 * 1024;
export const DEFAULT_AGENT_PORT = 7100;
const REDACTED = '[redacted]';

/**
 * The agent's release: a `.tar.gz` holding `bin/platform-agent` (an executable that starts the agent with its
 * runtime) at its top, fetched over HTTPS and checked against its SHA-256 before anything in it runs.
 */
export interface AgentTarball {
  readonly url: string;
  readonly sha256: string;
}

/** What the server boots from, which decides how much cloud-init has to do. */
export type ServerBase =
  /** A stock Ubuntu image: install Docker, nginx, ufw and the agent (a snapshot builder, or a one-off server). */
  | { readonly kind: 'fresh-ubuntu'; readonly agentTarball: AgentTarball }
  /** A platform snapshot, which carries all of that: give the server its own secret and firewall, restart the agent. */
  | { readonly kind: 'platform-snapshot' };

export interface PlatformServerOptions {
  readonly base: ServerBase;
  readonly agent: {
    /** This server's agent secret; it goes into the user data and nowhere else (see CloudInitUserData). */
    readonly secret: string;
    /** The agent's certificate from the platform CA and its private key (PEM), which is kept as the secret is. */
    readonly tls: { readonly certificate: string; readonly privateKey: string };
    readonly port?: number;
    /** The version being installed; the platform's expected version unless building another on purpose. */
    readonly version?: string;
  };
  /** The address (or CIDR block) the platform reaches agents from: the only source the agent port is open to. */
  readonly platformAddress: string;
}

const ipAddressOrBlock = z.string().refine((value) => {
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  // A /0 would open the agent port to everyone, which is what the firewall rule is there to prevent.
  return /^\d{1,3}$/.test(prefix) && bits >= 1 && bits <= (family === 4 ? 32 : 128);
}, 'must be an IP address or a CIDR block (e.g. 203.0.113.7 or 203.0.113.0/24), not /0');

const OptionsSchema = z.object({
  base: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('fresh-ubuntu'),
      agentTarball: z.object({
        url: z
          .url({ protocol: /^https$/, error: 'must be an https:// URL' })
          .refine((url) => !/[\s'"`$\\]/.test(url), 'must not contain quotes, spaces, "$" or "\\"'),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
      }),
    }),
    z.object({ kind: z.literal('platform-snapshot') }),
  ]),
  agent: z.object({
    secret: z.string().regex(/^[A-Za-z0-9_-]{32,256}$/, 'must be 32 to 256 letters, digits, "_" or "-"'),
    tls: z.object({
      certificate: z.string().startsWith('-----BEGIN CERTIFICATE-----', 'must be a PEM certificate'),
      privateKey: z.string().startsWith('-----BEGIN PRIVATE KEY-----', 'must be a PEM private key'),
    }),
    port: z
      .int()
      .min(1)
      .max(65535)
      .refine((port) => port !== 80 && port !== 443, 'must not be 80 or 443, which the edge (nginx) serves')
      .default(DEFAULT_AGENT_PORT),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, 'must be a version like 1.2.3')
      .default(AGENT_VERSION),
  }),
  platformAddress: ipAddressOrBlock,
});

/**
 * User data that carries a secret. `reveal()` gives the text for the cloud; everything that might end up in a log,
 * an event or an error message — `toString`, `toJSON`, `util.inspect`, `redacted` — shows it with the secret
 * replaced, so printing the object by mistake leaks nothing.
 */
export class CloudInitUserData {
  readonly #text: string;
  readonly #secrets: readonly string[];

  constructor(text: string, secrets: readonly string[]) {
    this.#text = text;
    this.#secrets = secrets.filter((secret) => secret.length > 0);
  }

  /** The user data as the cloud needs it. Hand it to the cloud's API only. */
  reveal(): string {
    return this.#text;
  }

  get redacted(): string {
    return this.#secrets.reduce((text, secret) => text.split(secret).join(REDACTED), this.#text);
  }

  get byteLength(): number {
    return Buffer.byteLength(this.#text);
  }

  toString(): string {
    return this.redacted;
  }

  toJSON(): string {
    return this.redacted;
  }

  [inspect.custom](): string {
    return `CloudInitUserData(${JSON.stringify(this.redacted)})`;
  }
}

/**
 * Installs the agent from its tarball: downloaded, checked against its SHA-256, unpacked into a directory of its
 * version and pointed at by `current`. Arguments, not interpolation, carry the values (runcmd quotes them).
 */
const INSTALL_AGENT_SCRIPT = `#!/bin/sh
# Installs the platform agent: install-agent.sh <tarball url> <sha256> <version>
set -eu
url="$1"; sha256="$2"; version="$3"
dir="${SERVER_PATHS.installRoot}/$version"
archive="$(mktemp)"
trap 'rm -f "$archive"' EXIT
curl --fail --silent --show-error --location --retry 5 --proto '=https' --output "$archive" "$url"
echo "$sha256  $archive" | sha256sum --check --strict --quiet -
rm -rf "$dir.partial"
mkdir -p "$dir.partial"
tar -xzf "$archive" -C "$dir.partial" --no-same-owner
test -x "$dir.partial/bin/platform-agent"
rm -rf "$dir"
mv "$dir.partial" "$dir"
ln -sfn "$dir" "${SERVER_PATHS.installRoot}/current"
`;

function agentUnit(version: string): string {
  return `[Unit]
Description=Platform agent ${version}
Requires=docker.service
# cloud-init writes this server's secret before the agent reads it, also on servers booted from a snapshot.
After=network-online.target docker.service cloud-init.service
Wants=network-online.target

[Service]
EnvironmentFile=${SERVER_PATHS.environmentFile}
ExecStart=${SERVER_PATHS.installRoot}/current/bin/platform-agent
Restart=always
RestartSec=2
# The agent starts nginx; nginx (and the containers) keep serving while the agent restarts or upgrades.
KillMode=process

[Install]
WantedBy=multi-user.target
`;
}

function agentEnvironment(port: number): string {
  return [
    'AGENT_HOST=0.0.0.0',
    `AGENT_PORT=${port}`,
    `AGENT_SECRET_FILE=${SERVER_PATHS.secretFile}`,
    `AGENT_TLS_CERT_FILE=${SERVER_PATHS.certificateFile}`,
    `AGENT_TLS_KEY_FILE=${SERVER_PATHS.keyFile}`,
    `AGENT_DATA_DIR=${SERVER_PATHS.dataDir}`,
    'EDGE_ADDRESS=0.0.0.0',
    'EDGE_HTTP_PORT=80',
    'EDGE_HTTPS_PORT=443',
    // Containers publish their ports on loopback only: Docker's own iptables rules would bypass ufw otherwise.
    'UPSTREAM_HOST=127.0.0.1',
    '',
  ].join('\n');
}

/**
 * The droplet's metadata service answers anyone on the droplet with the user data, which holds the agent
 * secret; containers (the applications deployed here) must not reach it.
 */
const METADATA_GUARD_UNIT = `[Unit]
Description=Keep containers away from the metadata service (it serves the user data, which holds the agent secret)
After=docker.service
PartOf=docker.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'iptables -C DOCKER-USER -d 169.254.169.254 -j REJECT 2>/dev/null || iptables -I DOCKER-USER -d 169.254.169.254 -j REJECT'

[Install]
WantedBy=docker.service
`;

function firewallCommands(platformAddress: string, agentPort: number): string[][] {
  return [
    // From scratch, so that a snapshot's rules for an older platform address do not linger.
    ['ufw', '--force', 'reset'],
    ['ufw', 'default', 'deny', 'incoming'],
    ['ufw', 'default', 'allow', 'outgoing'],
    ['ufw', 'allow', '80/tcp'],
    ['ufw', 'allow', '443/tcp'],
    ['ufw', 'allow', 'proto', 'tcp', 'from', platformAddress, 'to', 'any', 'port', String(agentPort)],
    ['ufw', '--force', 'enable'],
  ];
}

/**
 * The `#cloud-config` that turns a droplet into a platform server: Docker, nginx (which the agent runs with the
 * platform's configuration, so the distribution's own nginx service is masked to leave ports 80/443 to it), the
 * agent as a systemd service with its secret in a 0600 file, and a firewall open only on 80/443 and, to the
 * platform alone, the agent port.
 */
export function renderPlatformServerUserData(options: PlatformServerOptions): CloudInitUserData {
  const { base, agent, platformAddress } = parseOrThrow(OptionsSchema, options, 'the server bootstrap settings');
  const rootOnly = { owner: 'root:root', permissions: '0600' };
  const writeFiles = [
    { path: SERVER_PATHS.secretFile, content: `${agent.secret}\n`, ...rootOnly },
    { path: SERVER_PATHS.keyFile, content: agent.tls.privateKey, ...rootOnly },
    { path: SERVER_PATHS.certificateFile, content: agent.tls.certificate, owner: 'root:root', permissions: '0644' },
    { path: SERVER_PATHS.environmentFile, content: agentEnvironment(agent.port), ...rootOnly },
    { path: SERVER_PATHS.agentUnit, content: agentUnit(agent.version), owner: 'root:root', permissions: '0644' },
    { path: SERVER_PATHS.metadataGuardUnit, content: METADATA_GUARD_UNIT, owner: 'root:root', permissions: '0644' },
  ];
  const services = [
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'enable', '--now', 'platform-metadata-guard.service'],
    ['systemctl', 'enable', 'platform-agent.service'],
    // A restart, not a start: on a snapshot the agent may already run, with the secret of the snapshot's builder.
    ['systemctl', 'restart', 'platform-agent.service'],
  ];

  const config =
    base.kind === 'fresh-ubuntu'
      ? {
          package_update: true,
          packages: ['docker.io', 'nginx', 'ufw', 'curl', 'ca-certificates'],
          write_files: [
            ...writeFiles,
            { path: SERVER_PATHS.installer, content: INSTALL_AGENT_SCRIPT, owner: 'root:root', permissions: '0755' },
          ],
          runcmd: [
            ...firewallCommands(platformAddress, agent.port),
            ['systemctl', 'mask', '--now', 'nginx.service'],
            ['systemctl', 'enable', '--now', 'docker.service'],
            ['mkdir', '-p', SERVER_PATHS.dataDir],
            [SERVER_PATHS.installer, base.agentTarball.url, base.agentTarball.sha256, agent.version],
            ...services,
          ],
        }
      : {
          write_files: writeFiles,
          runcmd: [...firewallCommands(platformAddress, agent.port), ...services],
        };

  const document = new Document(config);
  // One command a line ([ufw, allow, 80/tcp]) reads better than a block of one word a line.
  const commands = document.get('runcmd', true);
  if (isSeq(commands)) for (const command of commands.items) if (isSeq(command)) command.flow = true;
  const text = `#cloud-config\n${document.toString({ lineWidth: 0 })}`;
  // The key is written as a block of lines: each of its lines is redacted.
  const keyLines = agent.tls.privateKey.split('\n').filter((line) => line.trim() && !line.startsWith('-----'));
  const userData = new CloudInitUserData(text, [agent.secret, ...keyLines]);
  if (userData.byteLength > MAX_USER_DATA_BYTES) {
    throw new DomainError(
      'validation_failed',
      `the server's user data is ${userData.byteLength} bytes; DigitalOcean takes at most ${MAX_USER_DATA_BYTES}`,
    );
  }
  return userData;
}
