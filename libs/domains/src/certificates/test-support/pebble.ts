import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@platform/testing';

/**
 * Let's Encrypt's test ACME server (Debian's `pebble`) on loopback, with pebble-challtestsrv as its DNS: every name
 * resolves to `answerIp`, and Pebble checks HTTP-01 challenges there on `httpPort`, the real challenge path.
 */
export class Pebble {
  private constructor(
    readonly directoryUrl: string,
    /** The CA of Pebble's own HTTPS (the directory), made for this run. */
    readonly directoryCaPem: string,
    private readonly managementUrl: string,
    private readonly processes: ChildProcess[],
    private readonly dir: string,
  ) {}

  static async start(options: { httpPort: number; answerIp?: string }): Promise<Pebble> {
    const dir = await mkdtemp(join(tmpdir(), 'pebble-'));
    const [listen, management, dns] = await Promise.all([freePort(), freePort(), freePort()]);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=pebble',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${listen}`,
          managementListenAddress: `127.0.0.1:${management}`,
          certificate: join(dir, 'cert.pem'),
          privateKey: join(dir, 'key.pem'),
          httpPort: options.httpPort,
          tlsPort: 5001,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    const challtest = spawn(
      'pebble-challtestsrv',
      [
        '-dns01',
        `127.0.0.1:${dns}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-management',
        `127.0.0.1:${await freePort()}`,
        '-defaultIPv4',
        options.answerIp ?? '127.0.0.1',
        '-defaultIPv6',
        '',
      ],
      { stdio: 'ignore' },
    );
    const pebble = spawn('pebble', ['-config', join(dir, 'config.json'), '-dnsserver', `127.0.0.1:${dns}`], {
      stdio: 'ignore',
      // No random sleeps or refused nonces: tests want Pebble quick and deterministic.
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    });
    const { readFile } = await import('node:fs/promises');
    const ca = await readFile(join(dir, 'cert.pem'), 'utf8');
    const started = new Pebble(
      `https://127.0.0.1:${listen}/dir`,
      ca,
      `https://127.0.0.1:${management}`,
      [challtest, pebble],
      dir,
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await started.get(started.directoryUrl);
        return started;
      } catch (error) {
        if (attempt > 100) throw error;
        await sleep(100);
      }
    }
  }

  /** The root that Pebble's issued certificates chain to (new each start). */
  rootPem(): Promise<string> {
    return this.get(`${this.managementUrl}/roots/0`);
  }

  async stop(): Promise<void> {
    for (const child of this.processes) child.kill('SIGTERM');
    await rm(this.dir, { recursive: true, force: true });
  }

  private get(url: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: new Agent({ ca: this.directoryCaPem }) }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  }
}
