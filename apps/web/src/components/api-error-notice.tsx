'use client';

import { useRouter } from 'next/navigation';
import { useTransition } from 'react';
import type { ApiErrorInfo } from '../lib/api';
import { sentence } from '../lib/format';

const advice: Partial<Record<ApiErrorInfo['code'], string>> = {
  forbidden:
    'Your role in this workspace does not allow this. An owner or admin can change your role under Settings → Members.',
  not_found:
    'It may have been deleted, or it belongs to another workspace: check the workspace selected in the sidebar.',
  unavailable: 'The platform is not answering. Check that it runs (npm start), then try again.',
  network_error: 'Check your connection, then try again.',
  rate_limited: 'Too many requests: wait a minute, then try again.',
  timeout: 'The platform took too long to answer. Try again in a moment.',
};

/** A failed load, in the API's words, with what to do about it and a way to try again. */
export function ApiErrorNotice({ error, what }: { error: ApiErrorInfo; what: string }) {
  const router = useRouter();
  const [retrying, startRetry] = useTransition();
  return (
    <div className="notice" role="alert">
      <h2>Could not load {what}</h2>
      <p>{sentence(error.message)}</p>
      {advice[error.code] && <p className="muted">{advice[error.code]}</p>}
      <p className="meta">
        <span className="mono">{error.code}</span>
        {error.requestId && (
          <>
            {' · request '}
            <span className="mono">{error.requestId}</span>
          </>
        )}
      </p>
      <div>
        <button
          type="button"
          className="button small"
          disabled={retrying}
          onClick={() => startRetry(() => router.refresh())}
        >
          {retrying ? 'Retrying…' : 'Try again'}
        </button>
      </div>
    </div>
  );
}
