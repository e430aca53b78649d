import { z } from 'zod';
import { AddDomainRequestSchema, DomainViewSchema, ListDomains } from '../domains/domains';
import { pageOf } from '../messages';
import type { ApiRoute } from './routes';

const serviceParams = z.strictObject({ id: z.uuid() });
const domainParams = z.strictObject({ id: z.uuid(), domainId: z.uuid() });
const acceptedDomain = z.strictObject({ domainId: z.uuid(), commandId: z.uuid() });

/** The Domains routes of a service (see `apiRoutes`, which holds them with the others). */
export const domainRoutes = {
  listDomains: {
    operationId: 'listDomains',
    method: 'GET',
    path: '/v1/services/:id/domains',
    summary: "A service's domains with their state, DNS records and certificate, newest first",
    tag: 'Domains',
    auth: 'read',
    params: serviceParams,
    query: ListDomains.params.omit({ serviceId: true }),
    success: { status: 200, description: 'A page of domains', schema: pageOf(DomainViewSchema) },
  },
  addDomain: {
    operationId: 'addDomain',
    method: 'POST',
    path: '/v1/services/:id/domains',
    summary:
      'Point a hostname at the service: DNS records on the servers it runs on, a certificate, HTTPS on every server',
    tag: 'Domains',
    auth: 'deploy',
    params: serviceParams,
    body: AddDomainRequestSchema,
    success: { status: 202, description: 'Accepted: follow its steps on the event stream', schema: acceptedDomain },
  },
  getDomain: {
    operationId: 'getDomain',
    method: 'GET',
    path: '/v1/services/:id/domains/:domainId',
    summary: 'One domain',
    tag: 'Domains',
    auth: 'read',
    params: domainParams,
    success: { status: 200, description: 'The domain', schema: DomainViewSchema },
  },
  removeDomain: {
    operationId: 'removeDomain',
    method: 'DELETE',
    path: '/v1/services/:id/domains/:domainId',
    summary: 'Remove a domain: its DNS records, edge routes and certificate go',
    tag: 'Domains',
    auth: 'deploy',
    params: domainParams,
    success: { status: 202, description: 'Accepted', schema: acceptedDomain },
  },
} as const satisfies Record<string, ApiRoute>;
