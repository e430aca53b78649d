import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { NginxFiles } from '@platform/nginx';

export interface NginxLayout extends NginxFiles {
  readonly routesConfig: string;
  readonly certsDir: string;
  /** ACME HTTP-01 answers (an nginx map by path), served under /.well-known/acme-challenge/ on every hostname. */
  readonly challengesConfig: string;
}

export function nginxLayout(prefix: string): NginxLayout {
  return {
    prefix,
    mainConfig: join(prefix, 'conf', 'nginx.conf'),
    routesConfig: join(prefix, 'conf', 'routes.conf'),
    pidFile: join(prefix, 'nginx.pid'),
    errorLog: join(prefix, 'logs', 'error.log'),
    certsDir: join(prefix, 'certs'),
    challengesConfig: join(prefix, 'conf', 'challenges.conf'),
  };
}

export interface EdgeListen {
  readonly address: string;
  readonly httpPort: number;
  readonly httpsPort: number;
}

/** A route with its upstream resolved to an address nginx can reach and its certificate written to files. */
export interface ResolvedRoute {
  readonly hostname: string;
  readonly upstream: { readonly host: string; readonly port: number };
  readonly tls?: { readonly certificateFile: string; readonly keyFile: string };
  readonly maxBodyMb: number;
}

/**
 * The main configuration: everything under the agent's prefix (so several nginx instances can run side by
 * side, one per local server), a default server answering 404 for unknown hosts, and the routes included.
 */
/**
 * 128 fits hostnames up to about 100 characters (nginx's default of 64 fails on names over about 40); longer
 * names, up to DNS's 253, need the next sizes.
 */
export function serverNamesBucketSize(hostnames: readonly string[]): number {
  const longest = Math.max(0, ...hostnames.map((name) => name.length));
  return longest <= 100 ? 128 : longest <= 230 ? 256 : 512;
}

export function renderMainConfig(
  layout: NginxLayout,
  listen: EdgeListen,
  options: { workers: number; routesFile: string; serverNamesBucketSize: number },
): string {
  const temp = (name: string) => join(layout.prefix, 'temp', name);
  return `# Written by the platform agent; changes here are overwritten.
worker_processes ${options.workers};
pid ${layout.pidFile};
error_log ${layout.errorLog} warn;
# Bounds how long a reload waits for long-lived connections (websockets) on the old configuration.
worker_shutdown_timeout 60s;

events {
  worker_connections 4096;
}

http {
  server_names_hash_bucket_size ${options.serverNamesBucketSize};
  server_tokens off;
  access_log off;
  sendfile on;
  keepalive_timeout 65s;
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};

  # Challenge paths are long (an ACME token is up to 256 characters): the answers' map needs room for them.
  map_hash_bucket_size 512;
  include ${layout.challengesConfig};

  map $http_upgrade $platform_connection {
    default upgrade;
    '' '';
  }

  # A hostname with no route yet still answers its ACME HTTP-01 challenge (its certificate comes before its route).
  server {
    listen ${listen.address}:${listen.httpPort} default_server;
    server_name _;
${challengeLocation()}
    location / {
      return 404;
    }
  }

  include ${options.routesFile};
}
`;
}

/**
 * Answers ACME HTTP-01 challenges from the map in the challenges file: nginx's workers cannot read the agent's
 * files, so the answers are configuration, held in memory.
 */
function challengeLocation(indent = '    '): string {
  return [
    `${indent}location ^~ /.well-known/acme-challenge/ {`,
    `${indent}  default_type text/plain;`,
    `${indent}  if ($platform_acme_answer = "") {`,
    `${indent}    return 404;`,
    `${indent}  }`,
    `${indent}  return 200 $platform_acme_answer;`,
    `${indent}}`,
  ].join('\n');
}

/** The challenges file: token and answer were checked by the contract (base64url and a dot only). */
export function renderChallengesConfig(answers: ReadonlyMap<string, string>): string {
  const lines = [...answers].map(([token, answer]) => `  /.well-known/acme-challenge/${token} "${answer}";`);
  return `# Written by the platform agent: ACME HTTP-01 answers.\nmap $uri $platform_acme_answer {\n  default "";\n${lines.join('\n')}${lines.length ? '\n' : ''}}\n`;
}

function upstreamName(hostname: string): string {
  return `route_${createHash('sha256').update(hostname).digest('hex').slice(0, 16)}`;
}

function proxyLocation(upstream: string): string {
  return `  location / {
    proxy_pass http://${upstream};
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $platform_connection;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $host;
    proxy_set_header X-Request-Id $request_id;
    proxy_read_timeout 300s;
  }`;
}

/**
 * One upstream and one or two server blocks per route. With a certificate, HTTPS serves the route and HTTP
 * answers with a permanent redirect to it. Every value written here was validated by the contract (hostnames,
 * hosts and ports) or is a path the agent chose, so nothing a caller sends can add a directive.
 */
export function renderRoutesConfig(routes: readonly ResolvedRoute[], listen: EdgeListen): string {
  const blocks = routes.map((route) => {
    const upstream = upstreamName(route.hostname);
    const lines = [
      `upstream ${upstream} {`,
      `  server ${route.upstream.host}:${route.upstream.port} max_fails=0;`,
      '  keepalive 16;',
      '}',
    ];
    if (route.tls) {
      const port = listen.httpsPort === 443 ? '' : `:${listen.httpsPort}`;
      lines.push(
        // Plain HTTP only redirects, except the ACME challenge, which renewals answer over HTTP.
        'server {',
        `  listen ${listen.address}:${listen.httpPort};`,
        `  server_name ${route.hostname};`,
        challengeLocation('  '),
        '  location / {',
        `    return 301 https://$host${port}$request_uri;`,
        '  }',
        '}',
        'server {',
        `  listen ${listen.address}:${listen.httpsPort} ssl http2;`,
        `  server_name ${route.hostname};`,
        `  ssl_certificate ${route.tls.certificateFile};`,
        `  ssl_certificate_key ${route.tls.keyFile};`,
        '  ssl_protocols TLSv1.2 TLSv1.3;',
        '  add_header Strict-Transport-Security "max-age=31536000" always;',
        `  client_max_body_size ${route.maxBodyMb}m;`,
        proxyLocation(upstream),
        '}',
      );
    } else {
      lines.push(
        'server {',
        `  listen ${listen.address}:${listen.httpPort};`,
        `  server_name ${route.hostname};`,
        `  client_max_body_size ${route.maxBodyMb}m;`,
        proxyLocation(upstream),
        '}',
      );
    }
    return lines.join('\n');
  });
  return `# Written by the platform agent from its route table; changes here are overwritten.\n${blocks.join('\n\n')}\n`;
}
