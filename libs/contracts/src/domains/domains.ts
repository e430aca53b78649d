import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../definitions';
import { DomainError } from '../errors';
import { pageOf, paginationParams } from '../messages';

export const DNS = 'dns';

const MAX_HOSTNAME_LENGTH = 253;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Why a hostname cannot be a domain of the platform, or undefined when it can. Checked on what the person typed
 * (spaces, a trailing dot, wildcards) and on its ASCII form (labels, length), since that is what DNS and the
 * certificate name.
 */
function hostnameProblem(typed: string, ascii: string | undefined): string | undefined {
  if (typed.length === 0) return 'must not be empty';
  if (/\s/.test(typed)) return 'must not contain spaces';
  if (typed.endsWith('.')) return 'must not end with a dot (write "example.com", not "example.com.")';
  if (typed.includes('..')) return 'must not contain an empty label ("..")';
  if (typed.slice(typed.startsWith('*.') ? 2 : 0).includes('*')) {
    return 'may hold one wildcard only, as its whole first label ("*.example.com")';
  }
  if (/^[0-9.]+$/.test(typed) || typed.includes(':')) return 'must be a domain name, not an IP address';
  if (ascii === undefined) return 'is not a valid hostname';
  if (ascii.length > MAX_HOSTNAME_LENGTH) return `must be at most ${MAX_HOSTNAME_LENGTH} characters (as punycode)`;
  const labels = ascii.replace(/^\*\./, '').split('.');
  if (labels.length < 2) return 'must be a full domain name such as "shop.example.com"';
  // A last label of digits only is an IP address once URL parsing has read it (`0x7f.1` is 127.0.0.1).
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return 'must be a domain name, not an IP address';
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    return `has an invalid label "${bad}": letters, digits and dashes, 1 to 63 characters, not starting or ending with a dash`;
  }
  return undefined;
}

/** The ASCII (punycode) form of a hostname as browsers make it, or undefined when it has none. */
function toAscii(typed: string): string | undefined {
  const wildcard = typed.startsWith('*.');
  const rest = wildcard ? typed.slice(2) : typed;
  if (rest.length > 1000 || /[/?#@:[\]\\%]/.test(rest)) return undefined;
  try {
    const ascii = new URL(`http://${rest}`).hostname;
    return wildcard ? `*.${ascii}` : ascii;
  } catch {
    return undefined;
  }
}

/** Where a hostname fails validation, its message and the normalized form otherwise. */
export function checkHostname(typed: string): { hostname: string } | { problem: string } {
  const ascii = typed.length > 1000 ? undefined : toAscii(typed.toLowerCase());
  const problem = hostnameProblem(typed, ascii);
  return problem === undefined && ascii !== undefined ? { hostname: ascii } : { problem: problem ?? 'is invalid' };
}

/**
 * A domain's hostname as typed (an internationalized name is turned into punycode, upper case into lower case):
 * one leading `*.` wildcard at most, no spaces, empty labels, trailing dot or IP address, at most 253 characters.
 */
export const DomainHostnameSchema = z
  .string()
  .max(1000)
  .transform((typed, context) => {
    const checked = checkHostname(typed);
    if ('problem' in checked) {
      context.addIssue({ code: 'custom', message: checked.problem });
      return z.NEVER;
    }
    return checked.hostname;
  });

/** A hostname stored by the platform: already normalized by DomainHostnameSchema. */
const StoredHostnameSchema = z.string().min(1).max(MAX_HOSTNAME_LENGTH);

export const CertificateMethodSchema = z.enum(['acme', 'origin-ca']);
export type CertificateMethod = z.infer<typeof CertificateMethodSchema>;

export const AddDomainRequestSchema = z.strictObject({
  hostname: DomainHostnameSchema,
  /** Whether Cloudflare's proxy serves the domain (orange cloud); the records then point at Cloudflare. */
  proxied: z.boolean().default(false),
  /** How the certificate is had; by default Origin CA for a proxied domain and ACME otherwise. */
  certificate: CertificateMethodSchema.optional(),
});
export type AddDomainRequest = z.infer<typeof AddDomainRequestSchema>;

const domainId = z.uuid();
const serviceId = z.uuid();

export const DnsRecordSchema = z.strictObject({
  serverId: z.uuid(),
  type: z.enum(['A', 'AAAA']),
  content: z.string().max(64),
});
export type DnsRecord = z.infer<typeof DnsRecordSchema>;

export const DomainStepSchema = z.enum(['validate', 'dns', 'certificate', 'install', 'renew', 'remove']);
export type DomainStep = z.infer<typeof DomainStepSchema>;

export const AddDomain = defineCommand(
  DNS,
  'AddDomain',
  z.strictObject({
    domainId,
    serviceId,
    hostname: StoredHostnameSchema,
    proxied: z.boolean(),
    certificate: CertificateMethodSchema,
  }),
);
export const RemoveDomain = defineCommand(DNS, 'RemoveDomain', z.strictObject({ domainId }));

export const DomainAdded = defineEvent(
  DNS,
  'DomainAdded',
  z.strictObject({
    domainId,
    workspaceId: z.string(),
    serviceId,
    hostname: StoredHostnameSchema,
    proxied: z.boolean(),
    certificate: CertificateMethodSchema,
    addedAt: z.iso.datetime(),
  }),
);
/** The records the domain now has at its DNS provider: one per server the service runs on. */
export const DnsRecordsSet = defineEvent(
  DNS,
  'DnsRecordsSet',
  z.strictObject({ domainId, zone: z.string().max(253), records: z.array(DnsRecordSchema).max(1000) }),
);
export const CertificateIssued = defineEvent(
  DNS,
  'CertificateIssued',
  z.strictObject({
    domainId,
    method: CertificateMethodSchema,
    issuer: z.string().max(500),
    notBefore: z.iso.datetime(),
    notAfter: z.iso.datetime(),
  }),
);
export const CertificateRenewed = defineEvent(
  DNS,
  'CertificateRenewed',
  z.strictObject({ domainId, issuer: z.string().max(500), notBefore: z.iso.datetime(), notAfter: z.iso.datetime() }),
);
/** A renewal that did not succeed; the next is tried at `retryAt`. */
export const CertificateRenewalFailed = defineEvent(
  DNS,
  'CertificateRenewalFailed',
  z.strictObject({ domainId, attempt: z.int().min(1), reason: z.string().max(2000), retryAt: z.iso.datetime() }),
);
export const DomainActive = defineEvent(
  DNS,
  'DomainActive',
  z.strictObject({ domainId, serverIds: z.array(z.uuid()) }),
);
export const DomainFailed = defineEvent(
  DNS,
  'DomainFailed',
  z.strictObject({ domainId, step: DomainStepSchema, reason: z.string().max(2000) }),
);
export const DomainRemovalRequested = defineEvent(
  DNS,
  'DomainRemovalRequested',
  z.strictObject({ domainId, workspaceId: z.string(), hostname: StoredHostnameSchema }),
);
export const DomainRemoved = defineEvent(
  DNS,
  'DomainRemoved',
  z.strictObject({ domainId, workspaceId: z.string(), hostname: StoredHostnameSchema }),
);

export const DomainStatusSchema = z.enum(['pending', 'active', 'failed', 'removing']);

export const DomainViewSchema = z.strictObject({
  id: z.uuid(),
  serviceId,
  hostname: z.string(),
  proxied: z.boolean(),
  certificateMethod: CertificateMethodSchema,
  status: DomainStatusSchema,
  /** The step it is at (pending), failed at (failed), or last completed (active). */
  step: DomainStepSchema.nullable(),
  failure: z.string().nullable(),
  records: z.array(DnsRecordSchema),
  certificate: z
    .strictObject({ issuer: z.string(), notBefore: z.iso.datetime(), notAfter: z.iso.datetime() })
    .nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type DomainView = z.infer<typeof DomainViewSchema>;

export const ListDomains = defineQuery(
  DNS,
  'ListDomains',
  z.strictObject({ serviceId, ...paginationParams }),
  pageOf(DomainViewSchema),
);
export const GetDomain = defineQuery(DNS, 'GetDomain', z.strictObject({ domainId }), DomainViewSchema);
/** Whether the caller's workspace may add this hostname: hostnames are shared by the whole instance. */
export const CheckHostname = defineQuery(
  DNS,
  'CheckHostname',
  z.strictObject({ hostname: StoredHostnameSchema }),
  z.strictObject({ available: z.boolean() }),
);

export function hostnameTaken(hostname: string): DomainError {
  return new DomainError(
    'name_taken',
    `the hostname "${hostname}" is already a domain of another service or workspace on this platform; remove it there first`,
    [{ path: 'hostname', reason: 'name_taken' }],
  );
}

export const domainCommands = [AddDomain, RemoveDomain] as const;
export const domainEvents = [
  DomainAdded,
  DnsRecordsSet,
  CertificateIssued,
  CertificateRenewed,
  CertificateRenewalFailed,
  DomainActive,
  DomainFailed,
  DomainRemovalRequested,
  DomainRemoved,
] as const;
