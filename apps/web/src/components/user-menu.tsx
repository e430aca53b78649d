'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { WORKSPACE_COOKIE } from '../lib/cookies';
import { forgetStoredActivity } from './live-events';
import { useSession } from './session-context';
import { useToast } from './toasts';

export function UserMenu() {
  const { me, api } = useSession();
  const router = useRouter();
  const toast = useToast();
  const [pending, setPending] = useState(false);

  async function logOut() {
    setPending(true);
    try {
      await api.logout();
    } catch (error) {
      // The session may be gone already; the login page is where to go either way.
      console.warn('logout failed', error);
    }
    document.cookie = `${WORKSPACE_COOKIE}=; path=/; max-age=0; samesite=lax`;
    forgetStoredActivity();
    toast.info('You are logged out.');
    router.replace('/login');
    router.refresh();
  }

  return (
    <div className="user-line">
      <span className="user-email" title={me.user.email}>
        {me.user.email}
      </span>
      <button type="button" className="button small" disabled={pending} onClick={() => void logOut()}>
        Log out
      </button>
    </div>
  );
}
