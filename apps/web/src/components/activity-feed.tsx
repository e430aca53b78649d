'use client';

import type { EventEnvelope } from '@platform/contracts';
import type { Route } from 'next';
import Link from 'next/link';
import { useState } from 'react';
import { describeEvent, mergeEvents, type EventFilter } from '../lib/activity';
import { sentence, shortId } from '../lib/format';
import { EmptyState } from './empty-state';
import { useLiveEvents } from './live-events';
import { useSession } from './session-context';
import { TimeAgo } from './time-ago';

/** A page of the workspace's past events (`GET /v1/events/history`), newest first. */
export interface EventPage {
  readonly items: readonly EventEnvelope[];
  readonly nextCursor: string | null;
}

/**
 * The workspace's events: its past ones (`past`, the first page the server loaded, then older pages on request)
 * and, above them, those arriving live, all matching `filter`. `actors` names the people behind events (user id →
 * email) where the caller can see them.
 */
export function ActivityFeed({
  limit,
  actors = {},
  past,
  filter = {},
}: {
  limit?: number;
  actors?: Readonly<Record<string, string>>;
  past?: EventPage;
  filter?: EventFilter;
}) {
  const { entries, status } = useLiveEvents();
  const { api, me } = useSession();
  const [older, setOlder] = useState<EventPage>({ items: [], nextCursor: past?.nextCursor ?? null });
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const live = entries.flatMap((entry) => (entry.kind === 'event' ? [entry.event] : []));
  const merged = mergeEvents([live, past?.items ?? [], older.items], filter);
  const shown = limit === undefined ? merged : merged.slice(0, limit);

  async function loadOlder(cursor: string) {
    setLoading(true);
    setProblem(undefined);
    try {
      const page = await api.listEventHistory({
        types: filter.types?.join(','),
        actor: filter.actor,
        resourceId: filter.resourceId,
        cursor,
      });
      setOlder((earlier) => ({ items: [...earlier.items, ...page.items], nextCursor: page.nextCursor }));
    } catch (error) {
      setProblem(sentence((error as Error).message));
    } finally {
      setLoading(false);
    }
  }

  if (shown.length === 0) {
    return (
      <EmptyState icon="≋" title={status === 'open' ? 'Listening for events' : 'Connecting to the event stream…'}>
        <p>
          Everything that happens in this workspace appears here the moment it happens — try saving a{' '}
          <Link href="/deploy-configs/new">deploy config</Link>. Deployments and servers will report here too.
        </p>
      </EmptyState>
    );
  }

  return (
    <>
      <ol className="feed" aria-live="polite" aria-label="Activity">
        {shown.map((event) => {
          const description = describeEvent(event);
          return (
            <li key={event.eventId}>
              {description.href ? (
                <Link className="event-title" href={description.href as Route}>
                  {description.title}
                </Link>
              ) : (
                <span className="event-title">{description.title}</span>
              )}
              <TimeAgo iso={event.occurredAt} />
              <span className="event-meta">
                <span className="badge">{event.type}</span>
                <span>
                  by{' '}
                  {event.metadata.actorId === me.user.id
                    ? 'you'
                    : (actors[event.metadata.actorId] ?? `user ${shortId(event.metadata.actorId)}`)}
                </span>
              </span>
            </li>
          );
        })}
      </ol>
      {limit === undefined && older.nextCursor && (
        <p>
          <button
            type="button"
            className="button small"
            disabled={loading}
            onClick={() => void loadOlder(older.nextCursor as string)}
          >
            {loading ? 'Loading…' : 'Show older events'}
          </button>
        </p>
      )}
      {problem && <p role="alert">{problem}</p>}
    </>
  );
}
