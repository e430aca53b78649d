'use client';

import type { EventEnvelope } from '@platform/contracts';
import { useRouter } from 'next/navigation';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { eventFromMessage } from '../lib/activity';
import type { EventStreamProblem, EventStreamStatus } from '../lib/event-stream';
import { useSession } from './session-context';

/**
 * One entry of the live feed. Events missed while away (older than a resume can replay) are not marked here: the
 * pages that show the feed load the workspace's past events beside it (`GET /v1/events/history`).
 */
export type FeedEntry = { readonly kind: 'event'; readonly event: EventEnvelope };

interface LiveEventsValue {
  /** Newest first. */
  readonly entries: readonly FeedEntry[];
  readonly status: EventStreamStatus;
  readonly problem?: EventStreamProblem;
  readonly subscribe: (listener: (event: EventEnvelope) => void) => () => void;
}

const LiveEventsContext = createContext<LiveEventsValue | null>(null);

const KEPT_ENTRIES = 200;

interface Stored {
  readonly entries: FeedEntry[];
  readonly lastEventId?: string;
}

/** The feed lives in sessionStorage, so a reload keeps it and resumes right after the last event seen. */
function storageKey(workspaceId: string): string {
  return `platform.activity.${workspaceId}`;
}

function readStored(workspaceId: string): Stored {
  try {
    const stored = JSON.parse(sessionStorage.getItem(storageKey(workspaceId)) ?? 'null') as Stored | null;
    return stored && Array.isArray(stored.entries) ? stored : { entries: [] };
  } catch {
    return { entries: [] };
  }
}

function writeStored(workspaceId: string, stored: Stored): void {
  try {
    sessionStorage.setItem(storageKey(workspaceId), JSON.stringify(stored));
  } catch {
    // Storage full or disabled: the feed still works, it just starts empty after a reload.
  }
}

/** Clears every workspace's stored feed (at logout, so the next person on this browser sees none of it). */
export function forgetStoredActivity(): void {
  for (const key of Object.keys(sessionStorage))
    if (key.startsWith('platform.activity.')) sessionStorage.removeItem(key);
}

/**
 * Keeps one `GET /v1/events` stream open for the console's whole visit (it sits in the layout, so
 * navigating between pages does not drop it) and shares its events with every page.
 */
export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const { api, me } = useSession();
  const router = useRouter();
  const workspaceId = me.workspace.id;
  const [entries, setEntries] = useState<FeedEntry[]>([]);
  const [status, setStatus] = useState<EventStreamStatus>('connecting');
  const [problem, setProblem] = useState<EventStreamProblem | undefined>();
  const listeners = useRef(new Set<(event: EventEnvelope) => void>());

  useEffect(() => {
    const stored = readStored(workspaceId);
    let current: Stored = stored;
    setEntries(stored.entries);
    const update = (next: Stored) => {
      current = { entries: next.entries.slice(0, KEPT_ENTRIES), lastEventId: next.lastEventId };
      setEntries(current.entries);
      writeStored(workspaceId, current);
    };
    const stream = api.events(
      {
        onMessage(message) {
          const event = eventFromMessage(message.data);
          if (!event) return;
          update({ entries: [{ kind: 'event', event }, ...current.entries], lastEventId: event.eventId });
          for (const listener of listeners.current) listener(event);
        },
        onStatus(next, why) {
          setStatus(next);
          setProblem(why);
          if (next === 'closed' && why?.code === 'unauthorized') router.push('/login?expired=1');
        },
      },
      {},
      stored.lastEventId,
    );
    return () => stream.close();
  }, [api, workspaceId, router]);

  const subscribe = useCallback((listener: (event: EventEnvelope) => void) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const value = useMemo<LiveEventsValue>(
    () => ({ entries, status, problem, subscribe }),
    [entries, status, problem, subscribe],
  );
  return <LiveEventsContext.Provider value={value}>{children}</LiveEventsContext.Provider>;
}

export function useLiveEvents(): LiveEventsValue {
  const live = useContext(LiveEventsContext);
  if (!live) throw new Error('useLiveEvents needs a LiveEventsProvider above it');
  return live;
}

/** Calls `listener` for every event that arrives while the component is mounted. */
export function useEventListener(listener: (event: EventEnvelope) => void): void {
  const { subscribe } = useLiveEvents();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => subscribe((event) => latest.current(event)), [subscribe]);
}
