import {
  createHash,
  createPrivateKey,
  randomUUID,
  sign,
  webcrypto,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
// @peculiar/x509 resolves its ASN.1 serializers through tsyringe, which needs the metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { SecretBox } from '@platform/secrets';

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The context the signing key is sealed under, so no other sealed value can pass for it. */
const SIGNER_KEY_CONTEXT = 'platform-registry:token-signing-key';

interface StoredSigner {
  readonly certificate: string;
  readonly sealedKey: string;
}

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * libtrust's key id, by which CNCF Distribution finds the key that signed a token among its root certificates:
 * the SHA-256 of the public key's DER (SubjectPublicKeyInfo), its first 240 bits in base32, in groups of four.
 */
function libtrustKeyId(publicKeyDer: Buffer): string {
  const bytes = createHash('sha256').update(publicKeyDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let encoded = '';
  for (let index = 0; index < bits.length; index += 5) encoded += alphabet[parseInt(bits.slice(index, index + 5), 2)];
  return encoded.match(/.{4}/g)?.join(':') ?? encoded;
}

/**
 * Signs the registry's bearer tokens (JWT, ES256) for the registry's token auth: each names the repositories and
 * actions it allows and expires soon, so a deployment's servers get a token for its one repository, pull only.
 * The key is the registry's own (not the platform CA's, whose certificates the agents hold), sealed at rest; the
 * registry trusts its self-signed certificate alone (`rootcertbundle`).
 */
export class RegistryTokenSigner {
  private readonly keyId: string;

  private constructor(
    /** The certificate (PEM) the registry trusts tokens of. */
    readonly certificate: string,
    private readonly key: KeyObject,
    private readonly claims: { readonly issuer: string; readonly service: string },
  ) {
    this.keyId = libtrustKeyId(new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' }));
  }

  /** The signer kept in `file` (its key sealed with `secrets`), made there on first use; replicas share it. */
  static async openOrCreate(
    file: string,
    secrets: SecretBox,
    claims: { issuer: string; service: string },
  ): Promise<RegistryTokenSigner> {
    const stored = (await readStored(file)) ?? (await RegistryTokenSigner.store(file, secrets));
    let privateKey: string;
    try {
      privateKey = secrets.open(stored.sealedKey, SIGNER_KEY_CONTEXT);
    } catch (error) {
      throw new Error(
        `the registry's token signer in ${file} does not open with this PLATFORM_SECRET_KEY (${(error as Error).message}); ` +
          'start with the key it was made with, or move the file away to make a new one (the registry then trusts only the new one)',
      );
    }
    const key = createPrivateKey(privateKey);
    return new RegistryTokenSigner(stored.certificate, key, claims);
  }

  /** Writes a new signer unless another process wrote one first (created exclusively); answers the one kept. */
  private static async store(file: string, secrets: SecretBox): Promise<StoredSigner> {
    const made = await generate(secrets);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const candidate = `${file}.${randomUUID()}.tmp`;
    await writeFile(candidate, JSON.stringify(made, null, 2), { mode: 0o600 });
    try {
      await link(candidate, file);
      return made;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const first = await readStored(file);
      if (!first) throw error;
      return first;
    } finally {
      await rm(candidate, { force: true });
    }
  }

  /** A token allowing `actions` on each repository (paths without the registry host), valid `ttlSeconds`. */
  token(subject: string, access: readonly { repository: string; actions: readonly string[] }[], ttlSeconds: number) {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', kid: this.keyId };
    const claims = {
      iss: this.claims.issuer,
      sub: subject,
      aud: this.claims.service,
      iat: now,
      // A little slack for clocks: the registry allows a minute of leeway on its side too.
      nbf: now - 5,
      exp: now + ttlSeconds,
      jti: randomUUID(),
      access: access.map(({ repository, actions }) => ({ type: 'repository', name: repository, actions })),
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    // JWS wants the raw r‖s, not DER.
    const signature = sign('sha256', Buffer.from(signingInput), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${base64url(signature)}`;
  }
}

async function generate(secrets: SecretBox): Promise<StoredSigner> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=Platform registry tokens ${now.toString(36)}`,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 20 * 365 * DAY_MS),
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const privateKey = x509.PemConverter.encode(
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey),
    'PRIVATE KEY',
  );
  return { certificate: certificate.toString('pem'), sealedKey: secrets.seal(privateKey, SIGNER_KEY_CONTEXT) };
}

async function readStored(file: string): Promise<StoredSigner | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  const parsed = JSON.parse(text) as Partial<StoredSigner>;
  if (typeof parsed.certificate !== 'string' || typeof parsed.sealedKey !== 'string')
    throw new Error(`${file} is not a registry token signer (it needs "certificate" and "sealedKey")`);
  return { certificate: parsed.certificate, sealedKey: parsed.sealedKey };
}
