'use client';

/** The last resort, when even the root layout failed: plain markup, since the stylesheet may be what broke. */
export default function GlobalError({ error, retry }: { error: unknown; retry: () => void }) {
  const digest =
    error instanceof Error && 'digest' in error ? String((error as Error & { digest?: string }).digest) : undefined;
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', padding: 32 }}>
        <h1>The console could not start</h1>
        <p>
          Something failed before any page could show. Reloading usually helps; if it does not, check that the platform
          runs.
        </p>
        {digest && <p>Reference: {digest}</p>}
        <button type="button" onClick={() => retry()}>
          Try again
        </button>
      </body>
    </html>
  );
}
