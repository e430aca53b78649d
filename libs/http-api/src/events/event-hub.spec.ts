import type { Bus } from '@platform/bus';
import { DomainError } from '@platform/contracts';
import pino from 'pino';
import type { EventFeed } from './event-feed';
import { EventHub, type EventClient } from './event-hub';

/** A stream whose credential answers as `access` says at the time it is checked again. */
function client(userId: string, access: { refusal?: Error }): EventClient & { failures: string[]; checks: number } {
  const failures: string[] = [];
  let checks = 0;
  return {
    filter: { workspaceId: 'ws' },
    userId,
    failures,
    get checks() {
      return checks;
    },
    async reauthorize() {
      checks++;
      if (access.refusal) throw access.refusal;
    },
    send: () => true,
    end: () => undefined,
    fail: (code) => failures.push(code),
  };
}

describe('EventHub.recheck', () => {
  // Checking access again reads neither the stream nor the feed.
  const hub = () => new EventHub({} as Bus, {} as EventFeed, pino({ level: 'silent' }));

  it("ends the streams whose credential lost access, saying why, and only the named users' streams are checked", async () => {
    const events = hub();
    const removed = { refusal: new DomainError('not_found', 'workspace ws does not exist') };
    const [lost, kept, other] = [client('u1', removed), client('u1', {}), client('u2', removed)];
    for (const stream of [lost, kept, other]) await events.connect(stream);

    await events.recheck(['u1']);

    expect(lost.failures).toEqual(['not_found']);
    expect([kept.failures, other.failures]).toEqual([[], []]);
    expect(other.checks).toBe(0);
    expect(events.clientsOf('ws')).toBe(2);
  });

  it('checks every stream when no user is named, and keeps a stream whose check could not be made', async () => {
    const events = hub();
    const expired = client('u1', {
      refusal: new DomainError('unauthorized', 'the credential is missing, expired or revoked'),
    });
    const unreachable = client('u2', { refusal: new Error('connect ECONNREFUSED 127.0.0.1:5432') });
    await events.connect(expired);
    await events.connect(unreachable);

    await events.recheck();

    expect(expired.failures).toEqual(['unauthorized']);
    expect(unreachable.failures).toEqual([]);
    expect(events.clientsOf('ws')).toBe(1);
  });
});
