import Link from 'next/link';
import type { ReactNode } from 'react';

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="auth">
      <div className="auth-card">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Platform
        </Link>
        {children}
      </div>
    </main>
  );
}
