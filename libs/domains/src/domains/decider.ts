import {
  DomainError,
  type AddDomain,
  type CertificateIssued,
  type CertificateMethod,
  type CertificateRenewalFailed,
  type CertificateRenewed,
  type CommandOf,
  type DnsRecord,
  type DnsRecordsSet,
  type DomainActive,
  type DomainAdded,
  type DomainFailed,
  type DomainRemovalRequested,
  type DomainRemoved,
  type EventOf,
  type RemoveDomain,
} from '@platform/contracts';
import type { DecisionContext, Decider } from '@platform/decider';
import { isDeepStrictEqual } from 'node:util';

type Data<E extends { data: unknown }> = E['data'];

/** What the domain process reports back; only the dns service itself sends these. */
export type DomainProgressCommand =
  | { type: 'RecordDnsRecordsSet'; data: Data<EventOf<typeof DnsRecordsSet>> }
  | { type: 'RecordCertificateIssued'; data: Data<EventOf<typeof CertificateIssued>> }
  | { type: 'RecordCertificateRenewed'; data: Data<EventOf<typeof CertificateRenewed>> }
  | { type: 'RecordCertificateRenewalFailed'; data: Data<EventOf<typeof CertificateRenewalFailed>> }
  | { type: 'RecordDomainActive'; data: Data<EventOf<typeof DomainActive>> }
  | { type: 'RecordDomainFailed'; data: Data<EventOf<typeof DomainFailed>> }
  | { type: 'RecordDomainRemoved'; data: { domainId: string } };

export type DomainCommand = CommandOf<typeof AddDomain> | CommandOf<typeof RemoveDomain> | DomainProgressCommand;

export type DomainEvent =
  | EventOf<typeof DomainAdded>
  | EventOf<typeof DnsRecordsSet>
  | EventOf<typeof CertificateIssued>
  | EventOf<typeof CertificateRenewed>
  | EventOf<typeof CertificateRenewalFailed>
  | EventOf<typeof DomainActive>
  | EventOf<typeof DomainFailed>
  | EventOf<typeof DomainRemovalRequested>
  | EventOf<typeof DomainRemoved>;

export interface CertificateInfo {
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface KnownDomain {
  readonly status: 'pending' | 'active' | 'failed' | 'removing' | 'removed';
  readonly workspaceId: string;
  readonly serviceId: string;
  readonly hostname: string;
  readonly proxied: boolean;
  readonly certificateMethod: CertificateMethod;
  readonly records: readonly DnsRecord[];
  readonly certificate?: CertificateInfo;
  /** Renewals failed in a row since the last certificate, and when the next is due. */
  readonly renewal: { readonly failures: number; readonly retryAt?: string };
  /** The servers whose edge serves the domain with its certificate. */
  readonly servedBy: readonly string[];
}

export type DomainState = { readonly status: 'absent' } | KnownDomain;

export function domainStreamId(domainId: string): string {
  return `domain-${domainId}`;
}

const notFound = (id: string) => new DomainError('not_found', `domain ${id} does not exist`);

/** A domain of another workspace is answered exactly like one that does not exist. */
function owned(state: DomainState, id: string, { metadata }: DecisionContext): KnownDomain {
  if (state.status === 'absent' || state.status === 'removed' || state.workspaceId !== metadata.workspaceId) {
    throw notFound(id);
  }
  return state;
}

/** A report about a domain that is gone or going changes nothing, except those of its removal. */
function live(state: DomainState): state is KnownDomain {
  return state.status !== 'absent' && state.status !== 'removing' && state.status !== 'removed';
}

export const domainDecider: Decider<DomainCommand, DomainEvent, DomainState> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state, context) {
    const workspaceId = context.metadata.workspaceId;
    switch (command.type) {
      case 'AddDomain': {
        const { domainId, serviceId, hostname, proxied, certificate } = command.data;
        if (state.status !== 'absent') throw new DomainError('conflict', `domain ${domainId} exists already`);
        const addedAt = context.now.toISOString();
        return [
          {
            type: 'DomainAdded',
            data: { domainId, workspaceId, serviceId, hostname, proxied, certificate, addedAt },
          },
        ];
      }
      case 'RemoveDomain': {
        const { domainId } = command.data;
        const domain = owned(state, domainId, context);
        if (domain.status === 'removing') return [];
        return [{ type: 'DomainRemovalRequested', data: { domainId, workspaceId, hostname: domain.hostname } }];
      }
      case 'RecordDnsRecordsSet':
        if (!live(state) || isDeepStrictEqual(state.records, command.data.records)) return [];
        return [{ type: 'DnsRecordsSet', data: command.data }];
      case 'RecordCertificateIssued':
        return live(state) ? [{ type: 'CertificateIssued', data: command.data }] : [];
      case 'RecordCertificateRenewed':
        return live(state) ? [{ type: 'CertificateRenewed', data: command.data }] : [];
      case 'RecordCertificateRenewalFailed':
        return live(state) ? [{ type: 'CertificateRenewalFailed', data: command.data }] : [];
      case 'RecordDomainActive':
        if (!live(state)) return [];
        if (state.status === 'active' && isDeepStrictEqual(state.servedBy, command.data.serverIds)) return [];
        return [{ type: 'DomainActive', data: command.data }];
      case 'RecordDomainFailed':
        return live(state) && state.status !== 'failed' ? [{ type: 'DomainFailed', data: command.data }] : [];
      case 'RecordDomainRemoved':
        if (state.status !== 'removing') return [];
        return [
          {
            type: 'DomainRemoved',
            data: { domainId: command.data.domainId, workspaceId: state.workspaceId, hostname: state.hostname },
          },
        ];
    }
  },

  evolve(state, event) {
    if (event.type === 'DomainAdded') {
      return {
        status: 'pending',
        workspaceId: event.data.workspaceId,
        serviceId: event.data.serviceId,
        hostname: event.data.hostname,
        proxied: event.data.proxied,
        certificateMethod: event.data.certificate,
        records: [],
        renewal: { failures: 0 },
        servedBy: [],
      };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'DnsRecordsSet':
        return { ...state, records: event.data.records };
      case 'CertificateIssued':
      case 'CertificateRenewed': {
        const { issuer, notBefore, notAfter } = event.data;
        return { ...state, certificate: { issuer, notBefore, notAfter }, renewal: { failures: 0 } };
      }
      case 'CertificateRenewalFailed':
        return { ...state, renewal: { failures: event.data.attempt, retryAt: event.data.retryAt } };
      case 'DomainActive':
        return { ...state, status: 'active', servedBy: event.data.serverIds };
      case 'DomainFailed':
        return { ...state, status: 'failed' };
      case 'DomainRemovalRequested':
        return { ...state, status: 'removing' };
      case 'DomainRemoved':
        return { ...state, status: 'removed' };
    }
  },
};
