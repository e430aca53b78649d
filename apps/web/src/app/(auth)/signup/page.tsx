import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { hasValidSession } from '../../../lib/session';
import { SignupForm } from './signup-form';

export const metadata: Metadata = { title: 'Sign up' };

export default async function SignupPage() {
  if (await hasValidSession()) redirect('/');
  return (
    <>
      <h1>Create your account</h1>
      <p className="lead">You get a workspace of your own; invite your team to it later.</p>
      <SignupForm />
      <p className="switch">
        Have an account? <Link href="/login">Log in</Link>
      </p>
    </>
  );
}
