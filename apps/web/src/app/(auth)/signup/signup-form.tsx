'use client';

import { useRouter } from 'next/navigation';
import { useRef, useState, type FormEvent } from 'react';
import { formText, TextField, useFocusOnFieldErrors } from '../../../components/fields';
import { messageOf } from '../../../components/toasts';
import { ApiRequestError, createApiClient, issuesByField } from '../../../lib/api';

/** With `invite`, the account joins the invitation's workspace: no workspace of its own to name. */
export function SignupForm({ invite }: { invite?: string }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const form = useRef<HTMLFormElement>(null);
  useFocusOnFieldErrors(form, fieldErrors);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const email = formText(data, 'email');
    const password = formText(data, 'password');
    setPending(true);
    setError(undefined);
    setFieldErrors({});
    const api = createApiClient();
    try {
      await api.signup(
        invite ? { email, password, invite } : { email, password, workspaceName: formText(data, 'workspaceName') },
      );
      // Signing up answers a token but sets no cookie; logging in sets the session cookie the console uses.
      await api.login({ email, password });
      router.replace('/');
      router.refresh();
    } catch (failure) {
      if (failure instanceof ApiRequestError && failure.fieldIssues.length > 0) {
        setFieldErrors(issuesByField(failure.fieldIssues));
      } else setError(messageOf(failure));
      setPending(false);
    }
  }

  return (
    <form ref={form} className="form" onSubmit={(event) => void submit(event)} noValidate>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        autoFocus
        error={fieldErrors.email}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        minLength={10}
        hint="At least 10 characters."
        error={fieldErrors.password}
      />
      {!invite && (
        <TextField
          label="Workspace name"
          name="workspaceName"
          required
          maxLength={100}
          hint="Your team or company."
          error={fieldErrors.workspaceName}
        />
      )}
      <button type="submit" className="button primary" disabled={pending}>
        {pending ? 'Creating your account…' : invite ? 'Create account and join' : 'Create account'}
      </button>
    </form>
  );
}
