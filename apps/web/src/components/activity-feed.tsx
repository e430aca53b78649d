'use client';

import type { Route } from 'next';
import Link from 'next/link';
import { describeEvent } from '../lib/activity';
import { shortId } from '../lib/format';
import { EmptyState } from './empty-state';
import { useLiveEvents } from './live-events';
import { useSession } from './session-context';
import { TimeAgo } from './time-ago';

/**
 * The workspace's events as they arrive. `actors` names the people behind events (user id → email) where
 * the caller can see them.
 */
export function ActivityFeed({ limit, actors = {} }: { limit?: number; actors?: Readonly<Record<string, string>> }) {
  const { entries, status } = useLiveEvents();
  const { me } = useSession();
  const shown = limit === undefined ? entries : entries.slice(0, limit);

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
    <ol className="feed" aria-live="polite" aria-label="Activity">
      {shown.map((entry) =>
        entry.kind === 'gap' ? (
          <li key={`gap-${entry.at}`} className="gap">
            <span>
              Some earlier events could not be replayed (older than the API keeps); the feed continues from here.
            </span>
          </li>
        ) : (
          <li key={entry.event.eventId}>
            {(() => {
              const description = describeEvent(entry.event);
              return description.href ? (
                <Link className="event-title" href={description.href as Route}>
                  {description.title}
                </Link>
              ) : (
                <span className="event-title">{description.title}</span>
              );
            })()}
            <TimeAgo iso={entry.event.occurredAt} />
            <span className="event-meta">
              <span className="badge">{entry.event.type}</span>
              <span>
                by{' '}
                {entry.event.metadata.actorId === me.user.id
                  ? 'you'
                  : (actors[entry.event.metadata.actorId] ?? `user ${shortId(entry.event.metadata.actorId)}`)}
              </span>
            </span>
          </li>
        ),
      )}
    </ol>
  );
}
