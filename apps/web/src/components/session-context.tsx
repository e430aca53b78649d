'use client';

import type { MeResponse } from '@platform/contracts';
import { useRouter } from 'next/navigation';
import { createContext, useCallback, useContext, useMemo, type ReactNode } from 'react';
import { ApiRequestError, createApiClient, type ApiClient, type RouteName } from '../lib/api';
import { useToast } from './toasts';

interface SessionValue {
  readonly me: MeResponse;
  /** The API client acting in the workspace the console shows. */
  readonly api: ApiClient;
  /** Whether the caller's role allows `route` in this workspace (the API checks again anyway). */
  readonly can: (route: RouteName) => boolean;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({
  me,
  allowedRoutes,
  children,
}: {
  me: MeResponse;
  allowedRoutes: readonly RouteName[];
  children: ReactNode;
}) {
  const value = useMemo<SessionValue>(() => {
    const allowed = new Set(allowedRoutes);
    return { me, api: createApiClient({ workspaceId: me.workspace.id }), can: (route) => allowed.has(route) };
  }, [me, allowedRoutes]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a SessionProvider above it');
  return session;
}

/**
 * Reports a failed action: a toast with the API's message, and the login page when the session has ended
 * (so a person is never stuck on a page that can only fail).
 */
export function useFailureReporter(): (error: unknown) => void {
  const toast = useToast();
  const router = useRouter();
  return useCallback(
    (error: unknown) => {
      toast.error(error);
      if (error instanceof ApiRequestError && error.code === 'unauthorized') router.push('/login?expired=1');
    },
    [toast, router],
  );
}
