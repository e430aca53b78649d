import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { hasValidSession, signupPolicy } from '../../../lib/session';
import { SignupForm } from './signup-form';

export const metadata: Metadata = { title: 'Sign up' };

/**
 * Signing up follows the instance's policy: the first account owns the instance; after it, people join by an
 * invitation link (`/signup?invite=pli_…`) that a workspace admin made, unless the operator opened signup.
 */
export default async function SignupPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  if (await hasValidSession()) redirect('/');
  const { invite } = await searchParams;
  const inviteToken = typeof invite === 'string' && invite ? invite : undefined;
  if (inviteToken) {
    return (
      <>
        <h1>Join your team</h1>
        <p className="lead">You were invited to a workspace: create your account to join it.</p>
        <SignupForm invite={inviteToken} />
        <p className="switch">
          Have an account? <Link href={`/login?invite=${encodeURIComponent(inviteToken)}`}>Log in to join</Link>
        </p>
      </>
    );
  }
  const policy = await signupPolicy();
  if (policy?.signup === 'invite_only') {
    return (
      <>
        <h1>Signup is by invitation</h1>
        <p className="lead" role="status">
          This instance lets people in by invitation only. Ask an admin of the workspace you want to join for an
          invitation link, and open it here.
        </p>
        <p className="muted">
          Run this instance yourself? The setting <code>SIGNUP=open</code> lets anyone sign up.
        </p>
        <p className="switch">
          Have an account? <Link href="/login">Log in</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>{policy?.signup === 'first_account' ? 'Set up this platform' : 'Create your account'}</h1>
      <p className="lead">
        {policy?.signup === 'first_account'
          ? 'The first account owns this instance: its workspace may run servers on this machine. Others join by invitation.'
          : 'You get a workspace of your own; invite your team to it later.'}
      </p>
      <SignupForm />
      <p className="switch">
        Have an account? <Link href="/login">Log in</Link>
      </p>
    </>
  );
}
