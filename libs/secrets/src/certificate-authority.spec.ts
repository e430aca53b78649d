import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatformCertificateAuthority } from './certificate-authority';
import { SecretBox } from './secret-box';

describe('PlatformCertificateAuthority', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'platform-ca-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is made once and kept with its key sealed: started again, or twice at once, it is the same CA', async () => {
    const secrets = new SecretBox(randomBytes(32));
    const file = join(dir, 'nested', 'ca.json');
    const [first, second] = await Promise.all([
      PlatformCertificateAuthority.openOrCreate(file, secrets),
      PlatformCertificateAuthority.openOrCreate(file, secrets),
    ]);
    expect(second.certificate).toBe(first.certificate);
    expect((await PlatformCertificateAuthority.openOrCreate(file, secrets)).certificate).toBe(first.certificate);
    const stored = await readFile(file, 'utf8');
    expect(stored).not.toContain('PRIVATE KEY');
    expect(JSON.parse(stored)).toMatchObject({ sealedKey: expect.stringMatching(/^v1:/) });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('does not open with another platform secret key, and says how to go on', async () => {
    const file = join(dir, 'ca.json');
    await PlatformCertificateAuthority.openOrCreate(file, new SecretBox(randomBytes(32)));
    await expect(PlatformCertificateAuthority.openOrCreate(file, new SecretBox(randomBytes(32)))).rejects.toThrow(
      /does not open with this PLATFORM_SECRET_KEY .*move the file away to make a new CA/,
    );
  });

  it('issues server certificates for the name and address given, signed by the CA and not a CA themselves', async () => {
    const { ca } = await PlatformCertificateAuthority.generate();
    const issued = await ca.issueServerCertificate({ name: 'abc.agent.invalid', address: '127.0.0.7' });
    const certificate = new X509Certificate(issued.certificate);
    const authority = new X509Certificate(ca.certificate);
    expect(certificate.verify(authority.publicKey)).toBe(true);
    expect(certificate.checkIssued(authority)).toBe(true);
    expect(certificate.ca).toBe(false);
    expect(authority.ca).toBe(true);
    expect(certificate.subjectAltName).toBe('DNS:abc.agent.invalid, IP Address:127.0.0.7');
    expect(certificate.checkPrivateKey(createPrivateKey(issued.privateKey))).toBe(true);
  });
});
