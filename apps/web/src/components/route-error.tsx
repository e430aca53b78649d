'use client';

import { useEffect } from 'react';
import { ApiRequestError } from '../lib/api';
import { sentence } from '../lib/format';

/**
 * What a route segment shows when rendering it failed, instead of a blank screen. API refusals say what
 * the API said; anything else gets its reference for the server's log.
 */
export function RouteError({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    // Kept for whoever opens the browser's console; the page says what happened in words.
    console.warn('page failed to render', error);
  }, [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <div className="notice" role="alert">
      <h2>This page could not be shown</h2>
      <p>
        {error instanceof ApiRequestError
          ? sentence(error.message)
          : 'Something unexpected failed while showing this page. Trying again usually helps; the rest of the console still works.'}
      </p>
      {digest && <p className="meta">Reference {digest} (in the console server's log)</p>}
      <div>
        <button type="button" className="button small" onClick={() => retry()}>
          Try again
        </button>
      </div>
    </div>
  );
}
