import { randomUUID, webcrypto } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
// @peculiar/x509 resolves its ASN.1 serializers through tsyringe, which needs the metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { SecretBox } from './secret-box';

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The context the CA's private key is sealed under, so no other sealed value can pass for it. */
const CA_KEY_CONTEXT = 'platform-ca:private-key';

/** A certificate and its private key, both PEM: what a server needs to serve TLS. */
export interface IssuedCertificate {
  readonly certificate: string;
  readonly privateKey: string;
}

/** The CA as stored: its certificate, and its private key sealed with the platform's secret key. */
interface StoredCa {
  readonly certificate: string;
  readonly sealedKey: string;
}

async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), KEY_ALGORITHM, false, ['sign']);
}

/**
 * The platform's own certificate authority. It issues each agent a certificate naming its server, and the agent
 * client trusts this CA alone, so nobody between the platform and a server can read or answer its requests. The
 * private key exists in plain only in memory; on disk it is sealed.
 */
export class PlatformCertificateAuthority {
  private constructor(
    /** The CA certificate (PEM): the one trust anchor agent clients accept. */
    readonly certificate: string,
    private readonly signingKey: webcrypto.CryptoKey,
  ) {}

  /** A new CA: a P-256 key and a self-signed certificate valid for 20 years. */
  static async generate(): Promise<{ ca: PlatformCertificateAuthority; privateKey: string }> {
    const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      name: `CN=Platform agents CA ${now.toString(36)}`,
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + 20 * 365 * DAY_MS),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const privateKey = await exportPrivateKey(keys.privateKey);
    return { ca: new PlatformCertificateAuthority(certificate.toString('pem'), keys.privateKey), privateKey };
  }

  /**
   * The CA kept in `file` (its key sealed with `secrets`), made there on first use. Services starting together
   * may both make one: the file is created exclusively, so the first one written is the one everyone uses.
   */
  static async openOrCreate(file: string, secrets: SecretBox): Promise<PlatformCertificateAuthority> {
    const stored = await readStored(file);
    if (stored) return PlatformCertificateAuthority.open(stored, secrets, file);
    const { ca, privateKey } = await PlatformCertificateAuthority.generate();
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const candidate = `${file}.${randomUUID()}.tmp`;
    const data: StoredCa = { certificate: ca.certificate, sealedKey: secrets.seal(privateKey, CA_KEY_CONTEXT) };
    await writeFile(candidate, JSON.stringify(data, null, 2), { mode: 0o600 });
    try {
      await link(candidate, file);
      return ca;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return PlatformCertificateAuthority.open((await readStored(file)) as StoredCa, secrets, file);
    } finally {
      await rm(candidate, { force: true });
    }
  }

  private static async open(stored: StoredCa, secrets: SecretBox, file: string): Promise<PlatformCertificateAuthority> {
    let privateKey: string;
    try {
      privateKey = secrets.open(stored.sealedKey, CA_KEY_CONTEXT);
    } catch (error) {
      throw new Error(
        `the platform CA in ${file} does not open with this PLATFORM_SECRET_KEY (${(error as Error).message}); ` +
          'start with the key it was made with, or move the file away to make a new CA (every agent then needs a new certificate)',
      );
    }
    return new PlatformCertificateAuthority(stored.certificate, await importSigningKey(privateKey));
  }

  /**
   * A server certificate signed by this CA, with a new key, for the server's `name` and, when known, its IP
   * `address`.
   */
  async issueServerCertificate(
    identity: { readonly name: string; readonly address?: string },
    validDays = 5 * 365,
  ): Promise<IssuedCertificate> {
    const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
    const issuer = new x509.X509Certificate(this.certificate);
    const now = Date.now();
    const names: x509.JsonGeneralName[] = [{ type: 'dns', value: identity.name }];
    if (identity.address) names.push({ type: isIP(identity.address) ? 'ip' : 'dns', value: identity.address });
    const certificate = await x509.X509CertificateGenerator.create({
      subject: `CN=${identity.name}`,
      issuer: issuer.subject,
      publicKey: keys.publicKey,
      signingKey: this.signingKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + validDays * DAY_MS),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey),
      ],
    });
    return { certificate: certificate.toString('pem'), privateKey: await exportPrivateKey(keys.privateKey) };
  }
}

async function readStored(file: string): Promise<StoredCa | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  const parsed = JSON.parse(text) as Partial<StoredCa>;
  if (typeof parsed.certificate !== 'string' || typeof parsed.sealedKey !== 'string')
    throw new Error(`${file} is not a platform CA (it needs "certificate" and "sealedKey")`);
  return { certificate: parsed.certificate, sealedKey: parsed.sealedKey };
}
