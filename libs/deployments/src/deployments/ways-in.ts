import { request } from 'node:http';

/**
 * A way the public reaches a service: this machine's front door, each server's edge (and, later, its domains).
 * A request goes to `address:port` naming `host`, as a browser that resolved the hostname there would send it.
 */
export interface WayIn {
  /** What a user opens, said in a failure reason. */
  readonly url: string;
  readonly address: string;
  readonly port: number;
  readonly host: string;
}

/** Asks a way in for `path`: null when the service answered there, else why not. */
export type ProbeWayIn = (wayIn: WayIn, path: string) => Promise<string | null>;

/**
 * One GET on a new connection. The service answers when the status is below 400: the path probed is its health
 * check, which its container passed already, so a 404 is the edge or door not routing it and a 502 no upstream.
 */
export const probeOverHttp: ProbeWayIn = (wayIn, path) =>
  new Promise((resolve) => {
    const probe = request(
      {
        host: wayIn.address,
        port: wayIn.port,
        path,
        headers: { host: wayIn.host, connection: 'close' },
        agent: false,
        timeout: 5000,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body = (body + chunk.toString()).slice(0, 500)));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          // An error page's words, without its markup, say which 404 or 502 it was.
          const words = body
            .replace(/<[^>]*>/g, ' ')
            .replace(/\s+/g, ' ')
            .trim()
            .slice(0, 120);
          resolve(status < 400 ? null : `GET ${path} answered ${status} ${words}`.trim());
        });
      },
    );
    probe.on('timeout', () => probe.destroy(new Error('no answer within 5 s')));
    probe.on('error', (error) => resolve(`GET ${path} failed: ${error.message}`));
    probe.end();
  });
