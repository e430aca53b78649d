'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { formText, TextField } from '../../../components/fields';
import { messageOf } from '../../../components/toasts';
import { createApiClient } from '../../../lib/api';

/** With `invite`, logging in also joins the invitation's workspace. */
export function LoginForm({ invite }: { invite?: string }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setPending(true);
    setError(undefined);
    try {
      // The answer also sets the httpOnly session cookie every later request carries.
      await createApiClient().login({
        email: formText(data, 'email'),
        password: formText(data, 'password'),
        ...(invite ? { invite } : {}),
      });
      router.replace('/');
      router.refresh();
    } catch (failure) {
      setError(messageOf(failure));
      setPending(false);
    }
  }

  return (
    <form className="form" onSubmit={(event) => void submit(event)}>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <TextField label="Email" name="email" type="email" autoComplete="email" required autoFocus />
      <TextField label="Password" name="password" type="password" autoComplete="current-password" required />
      <button type="submit" className="button primary" disabled={pending}>
        {pending ? 'Logging in…' : 'Log in'}
      </button>
    </form>
  );
}
