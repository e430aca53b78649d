import type { ReactNode } from 'react';
import { ApiErrorNotice } from '../../components/api-error-notice';
import { AppShell } from '../../components/app-shell';
import { LiveEventsProvider } from '../../components/live-events';
import { SessionProvider } from '../../components/session-context';
import { getSession } from '../../lib/session';

/** Every page of the console: the caller's session (or the login page), the live events, the shell. */
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const session = await getSession();
  if (!session.ok) {
    return (
      <main className="auth">
        <div className="auth-card">
          <ApiErrorNotice error={session.error} what="your session" />
        </div>
      </main>
    );
  }
  const { me, allowedRoutes } = session.value;
  return (
    <SessionProvider me={me} allowedRoutes={allowedRoutes}>
      <LiveEventsProvider>
        {/* Keyed by workspace: switching remounts the pages, so nothing of the previous workspace lingers. */}
        <AppShell key={me.workspace.id}>{children}</AppShell>
      </LiveEventsProvider>
    </SessionProvider>
  );
}
