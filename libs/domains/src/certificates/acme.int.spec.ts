import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AcmeIssuer, createAcmeAccountKey, type Http01Responder } from './acme';
import { Pebble } from './test-support/pebble';

jest.setTimeout(120_000);

/** A server's HTTP-01 answers, as nginx serves them from the agent's challenge files. */
class ChallengeServer implements Http01Responder {
  readonly answers = new Map<string, string>();
  readonly asked: string[] = [];
  readonly server: Server = createServer((request, response) => {
    const token = request.url?.match(/^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/)?.[1];
    this.asked.push(`${request.headers.host} ${request.url}`);
    const answer = token && this.answers.get(token);
    if (answer) response.writeHead(200, { 'content-type': 'text/plain' }).end(answer);
    else response.writeHead(404).end();
  });
  async put(token: string, keyAuthorization: string) {
    this.answers.set(token, keyAuthorization);
  }
  async remove(token: string) {
    this.answers.delete(token);
  }
}

describe('certificates from an ACME CA (a real Pebble, HTTP-01 checked over the network)', () => {
  let challenges: ChallengeServer;
  let pebble: Pebble;
  beforeAll(async () => {
    challenges = new ChallengeServer();
    await new Promise<void>((resolve) => challenges.server.listen(0, '127.0.0.1', resolve));
    pebble = await Pebble.start({ httpPort: (challenges.server.address() as AddressInfo).port });
  });
  afterAll(async () => {
    await pebble?.stop();
    challenges.server.close();
  });

  it('issues a certificate for the hostname, chaining to the CA, after the CA asked the challenge of the server', async () => {
    const issuer = new AcmeIssuer({
      directoryUrl: pebble.directoryUrl,
      directoryCaPem: pebble.directoryCaPem,
      accountKeyPem: await createAcmeAccountKey(),
    });
    const issued = await issuer.issue('shop.example.test', challenges);
    const [leaf, ...chain] = issued.certificatePem.split(/(?<=-----END CERTIFICATE-----)\s*/).filter(Boolean);
    const certificate = new X509Certificate(leaf);
    expect(certificate.subjectAltName).toBe('DNS:shop.example.test');
    expect(certificate.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    // The chain goes up to the root Pebble made for this run.
    const root = new X509Certificate(await pebble.rootPem());
    const top = new X509Certificate(chain[chain.length - 1] ?? leaf);
    expect(top.verify(root.publicKey) || top.fingerprint256 === root.fingerprint256).toBe(true);
    expect(new Date(issued.notAfter).getTime()).toBeGreaterThan(Date.now());
    // Pebble asked the server for the challenge, by the hostname, and the answer was removed after.
    expect(challenges.asked.some((asked) => asked.startsWith('shop.example.test'))).toBe(true);
    expect(challenges.answers.size).toBe(0);
  });
});
