'use client';

import { useRouter } from 'next/navigation';
import { useEventListener } from './live-events';

/** Loads the page's server-rendered data again after any of these events, once the read models have them. */
export function useRefreshOn(eventTypes: readonly string[]): void {
  const router = useRouter();
  useEventListener((event) => {
    if (eventTypes.includes(event.type)) setTimeout(() => router.refresh(), 300);
  });
}

/** `useRefreshOn` for a server component's page. */
export function RefreshOn({ eventTypes }: { eventTypes: readonly string[] }) {
  useRefreshOn(eventTypes);
  return null;
}
