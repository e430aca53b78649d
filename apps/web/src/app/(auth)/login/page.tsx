import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { hasValidSession } from '../../../lib/session';
import { LoginForm } from './login-form';

export const metadata: Metadata = { title: 'Log in' };

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  if (await hasValidSession()) redirect('/');
  const { expired, invite } = await searchParams;
  const inviteToken = typeof invite === 'string' && invite ? invite : undefined;
  return (
    <>
      <h1>Log in</h1>
      <p className="lead">
        {inviteToken
          ? 'Log in to join the workspace you were invited to.'
          : expired
            ? 'Your session ended. Log in again to continue.'
            : 'Welcome back.'}
      </p>
      <LoginForm invite={inviteToken} />
      <p className="switch">
        New here? <Link href="/signup">Create an account</Link>
      </p>
    </>
  );
}
