import { z } from 'zod';
import { ContainerNameSchema, HostnameSchema, PortSchema } from './common';

const PemCertificateSchema = z
  .string()
  .max(65_536)
  .regex(
    /^\s*(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/,
    'must be PEM certificates ("-----BEGIN CERTIFICATE-----" …)',
  );
const PemPrivateKeySchema = z
  .string()
  .max(65_536)
  .regex(
    /^\s*-----BEGIN (RSA |EC )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (RSA |EC )?PRIVATE KEY-----\s*$/,
    'must be a PEM private key ("-----BEGIN PRIVATE KEY-----" …)',
  );

export const TlsCertificateSchema = z.strictObject({
  /** The certificate, then any intermediates. */
  certificatePem: PemCertificateSchema,
  privateKeyPem: PemPrivateKeySchema,
});
export type TlsCertificate = z.infer<typeof TlsCertificateSchema>;

/** Where a hostname's requests go: a container this agent runs (by name), or a host and port. */
export const UpstreamSchema = z.union([
  z.strictObject({ container: ContainerNameSchema }),
  z.strictObject({
    host: z
      .string()
      .max(253)
      .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, 'must be a hostname or an IPv4 address'),
    port: PortSchema,
  }),
]);
export type Upstream = z.infer<typeof UpstreamSchema>;

export const EdgeRouteSchema = z.strictObject({
  hostname: HostnameSchema,
  upstream: UpstreamSchema,
  /** With a certificate the hostname is served over HTTPS and plain HTTP redirects there. */
  tls: TlsCertificateSchema.optional(),
  maxBodyMb: z.int().min(1).max(10_240).default(100),
});
export type EdgeRoute = z.input<typeof EdgeRouteSchema>;
export type EdgeRouteSpec = z.infer<typeof EdgeRouteSchema>;

/** `PUT /v1/edge/routes`: the whole table; hostnames not in it stop being served. */
export const ApplyRoutesRequestSchema = z.strictObject({
  routes: z
    .array(EdgeRouteSchema)
    .max(5000)
    .refine(
      (routes) => new Set(routes.map((route) => route.hostname)).size === routes.length,
      'hostnames must be unique',
    ),
});
export type ApplyRoutesRequest = z.input<typeof ApplyRoutesRequestSchema>;

export const ApplyRoutesResponseSchema = z.strictObject({
  routes: z.int(),
  testMs: z.number(),
  reloadMs: z.number(),
});
export type ApplyRoutesResponse = z.infer<typeof ApplyRoutesResponseSchema>;

/** A route as the agent reports it: never the private key. */
export const EdgeRouteViewSchema = z.strictObject({
  hostname: z.string(),
  upstream: UpstreamSchema,
  tls: z.boolean(),
  maxBodyMb: z.int(),
});
export type EdgeRouteView = z.infer<typeof EdgeRouteViewSchema>;

export const EdgeRoutesResponseSchema = z.strictObject({ routes: z.array(EdgeRouteViewSchema) });
export type EdgeRoutesResponse = z.infer<typeof EdgeRoutesResponseSchema>;
