import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts';
import { deciderSpecification } from '@platform/decider';
import { domainDecider } from './decider';

const metadata = { workspaceId: 'ws_a', actorId: 'user_1', correlationId: 'c1' };
const now = new Date('2026-12-06T00:00:00Z');
const spec = deciderSpecification(domainDecider, { metadata, now });
const otherWorkspace = deciderSpecification(domainDecider, { metadata: { ...metadata, workspaceId: 'ws_b' }, now });

const domainId = randomUUID();
const serviceId = randomUUID();
const serverId = randomUUID();
const added = {
  type: 'DomainAdded' as const,
  data: {
    domainId,
    workspaceId: 'ws_a',
    serviceId,
    hostname: 'shop.example.com',
    proxied: false,
    certificate: 'acme' as const,
    addedAt: now.toISOString(),
  },
};
const records = [{ serverId, type: 'A' as const, content: '127.0.0.2' }];
const recordsSet = { type: 'DnsRecordsSet' as const, data: { domainId, zone: 'example.com', records } };
const removalRequested = {
  type: 'DomainRemovalRequested' as const,
  data: { domainId, workspaceId: 'ws_a', hostname: 'shop.example.com' },
};

const expectCode = (code: string) => (error: unknown) => {
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
};

describe('domain decider', () => {
  it('adds a domain to a service in the caller workspace, once', () => {
    const add = {
      type: 'AddDomain' as const,
      data: { domainId, serviceId, hostname: 'shop.example.com', proxied: false, certificate: 'acme' as const },
    };
    spec.given([]).when(add).then([added]);
    spec.given([added]).when(add).thenThrows(expectCode('conflict'));
  });

  it('records DNS records only when they changed', () => {
    spec.given([added]).when({ type: 'RecordDnsRecordsSet', data: recordsSet.data }).then([recordsSet]);
    spec.given([added, recordsSet]).when({ type: 'RecordDnsRecordsSet', data: recordsSet.data }).thenNothingHappens();
  });

  it('becomes active once, and again only when the servers serving it change', () => {
    const active = { type: 'DomainActive' as const, data: { domainId, serverIds: [serverId] } };
    spec.given([added, recordsSet]).when({ type: 'RecordDomainActive', data: active.data }).then([active]);
    spec
      .given([added, recordsSet, active])
      .when({ type: 'RecordDomainActive', data: active.data })
      .thenNothingHappens();
    const moved = { domainId, serverIds: [serverId, randomUUID()] };
    spec
      .given([added, recordsSet, active])
      .when({ type: 'RecordDomainActive', data: moved })
      .then([{ type: 'DomainActive', data: moved }]);
  });

  it('is removed in two steps, and reports about it meanwhile change nothing', () => {
    spec.given([added]).when({ type: 'RemoveDomain', data: { domainId } }).then([removalRequested]);
    spec.given([added, removalRequested]).when({ type: 'RemoveDomain', data: { domainId } }).thenNothingHappens();
    spec
      .given([added, removalRequested])
      .when({ type: 'RecordDnsRecordsSet', data: recordsSet.data })
      .thenNothingHappens();
    const removed = { type: 'DomainRemoved' as const, data: removalRequested.data };
    spec.given([added, removalRequested]).when({ type: 'RecordDomainRemoved', data: { domainId } }).then([removed]);
    spec
      .given([added, removalRequested, removed])
      .when({ type: 'RemoveDomain', data: { domainId } })
      .thenThrows(expectCode('not_found'));
  });

  it('fails once, naming the step', () => {
    const failed = { type: 'DomainFailed' as const, data: { domainId, step: 'dns' as const, reason: 'no zone' } };
    spec.given([added]).when({ type: 'RecordDomainFailed', data: failed.data }).then([failed]);
    spec.given([added, failed]).when({ type: 'RecordDomainFailed', data: failed.data }).thenNothingHappens();
  });

  it('answers another workspace as if the domain did not exist', () => {
    otherWorkspace
      .given([added])
      .when({ type: 'RemoveDomain', data: { domainId } })
      .thenThrows(expectCode('not_found'));
  });
});
