import * as acme from 'acme-client';
import { Agent } from 'node:https';

/** Answers HTTP-01 challenges: `GET /.well-known/acme-challenge/<token>` must give `keyAuthorization`. */
export interface Http01Responder {
  put(token: string, keyAuthorization: string): Promise<void>;
  remove(token: string): Promise<void>;
}

export interface IssuedCertificate {
  /** The certificate, then its intermediates. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface AcmeIssuerOptions {
  /** The ACME directory (Let's Encrypt's, or a local one such as Pebble). */
  readonly directoryUrl: string;
  /** The account's private key (PEM), kept sealed by the caller and opened only here. */
  readonly accountKeyPem: string;
  /** CA certificates (PEM) the directory's HTTPS is trusted by, for a local directory; else the system's. */
  readonly directoryCaPem?: string;
}

/** A new ACME account key (P-256), to keep sealed. */
export async function createAcmeAccountKey(): Promise<string> {
  return (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
}

/**
 * Certificates from an ACME CA with acme-client: a key and CSR made here for each certificate, HTTP-01 answered by
 * the responder (the servers' nginx, through their agents). The private key never leaves unsealed but to go to
 * the agents over their TLS channel.
 */
export class AcmeIssuer {
  private readonly client: acme.Client;

  constructor(options: AcmeIssuerOptions) {
    if (options.directoryCaPem) {
      // acme-client talks through its one axios instance: a local directory's CA is trusted for it alone.
      acme.axios.defaults.httpsAgent = new Agent({ ca: options.directoryCaPem, keepAlive: true });
    }
    this.client = new acme.Client({
      directoryUrl: options.directoryUrl,
      accountKey: options.accountKeyPem,
      backoffAttempts: 8,
      backoffMin: 200,
      backoffMax: 5000,
    });
  }

  async issue(hostname: string, responder: Http01Responder): Promise<IssuedCertificate> {
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr({ commonName: hostname, altNames: [hostname] }, key);
    const certificatePem = await this.client.auto({
      csr,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // The CA checks the challenge itself; checking it from here first would ask this machine's resolver.
      skipChallengeVerification: true,
      challengeCreateFn: (_authz, challenge, keyAuthorization) => responder.put(challenge.token, keyAuthorization),
      challengeRemoveFn: (_authz, challenge) => responder.remove(challenge.token),
    });
    const info = acme.crypto.readCertificateInfo(certificatePem);
    return {
      certificatePem,
      privateKeyPem: key.toString(),
      issuer: info.issuer.commonName,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
    };
  }
}
