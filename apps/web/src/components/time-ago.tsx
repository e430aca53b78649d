'use client';

import { useEffect, useState } from 'react';
import { formatRelative, formatUtc } from '../lib/format';

/**
 * "5 minutes ago", kept current. The server and the first client render show the UTC time, which is the same
 * everywhere, so hydration agrees; the relative text replaces it once mounted.
 */
export function TimeAgo({ iso }: { iso: string }) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <time dateTime={iso} title={formatUtc(iso)}>
      {now === null ? formatUtc(iso) : formatRelative(iso, now)}
    </time>
  );
}
