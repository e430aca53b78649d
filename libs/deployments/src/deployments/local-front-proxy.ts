import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NginxProcess } from '@platform/nginx';
import type { FrontDoor, FrontRoute } from './front-routes';

const HOSTNAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const EDGE = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}$/;

/**
 * In local mode, the stand-in for DNS with several A records: one nginx on 127.0.0.1 that spreads each app's
 * requests over the edges of its servers, so `http://hello.localhost` opens in a browser. Its configuration is
 * tested (`nginx -t`) before it replaces the running one, and a change is in force for every new connection once
 * `apply` returns: a deployment that succeeds on it is answered at once.
 */
export class LocalFrontProxy implements FrontDoor {
  private readonly nginx: NginxProcess;

  constructor(
    private readonly dir: string,
    readonly listen: { readonly address: string; readonly port: number } = { address: '127.0.0.1', port: 80 },
  ) {
    this.nginx = new NginxProcess('nginx', {
      prefix: dir,
      mainConfig: join(dir, 'nginx.conf'),
      pidFile: join(dir, 'nginx.pid'),
      errorLog: join(dir, 'logs', 'error.log'),
    });
  }

  url(hostname: string): string {
    return `http://${hostname}${this.listen.port === 80 ? '' : `:${this.listen.port}`}`;
  }

  async apply(routes: readonly FrontRoute[]): Promise<void> {
    for (const route of routes) {
      if (!HOSTNAME.test(route.hostname) || route.edges.length === 0 || !route.edges.every((edge) => EDGE.test(edge))) {
        throw new Error(
          `front route ${route.hostname} → ${route.edges.join(', ')} is not a hostname with loopback edges`,
        );
      }
    }
    await mkdir(join(this.dir, 'logs'), { recursive: true });
    const next = join(this.dir, 'nginx.next.conf');
    await writeFile(next, this.render(routes));
    await this.nginx.test(next);
    await rename(next, this.nginx.layout.mainConfig);
    // A plain `nginx -s reload` returns before the new workers run, and lets old ones answer beside them for a
    // while: a request right after a deployment succeeded could still meet the old routes.
    if (await this.nginx.masterPid()) await this.nginx.reload();
    else await this.nginx.start();
  }

  stop(): Promise<void> {
    return this.nginx.quit();
  }

  private render(routes: readonly FrontRoute[]): string {
    const { address, port } = this.listen;
    const servers = routes
      .map((route, index) => {
        const upstream = `app_${index}`;
        return `  upstream ${upstream} {\n${route.edges.map((edge) => `    server ${edge} max_fails=1 fail_timeout=2s;`).join('\n')}\n  }
  server {
    listen ${address}:${port};
    server_name ${route.hostname};
    location / {
      proxy_pass http://${upstream};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }`;
      })
      .join('\n');
    return `pid nginx.pid;
error_log logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  server_names_hash_bucket_size 128;
  server {
    listen ${address}:${port} default_server;
    return 404 "no app answers on this hostname\\n";
  }
${servers}
}
`;
  }
}
