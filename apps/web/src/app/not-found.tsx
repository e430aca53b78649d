import Link from 'next/link';
import { EmptyState } from '../components/empty-state';

export default function NotFound() {
  return (
    <main className="auth">
      <div className="auth-card">
        <EmptyState
          icon="?"
          title="This page does not exist"
          action={
            <Link href="/" className="button primary">
              Go to the overview
            </Link>
          }
        >
          <p>The address may be mistyped, or the page moved.</p>
        </EmptyState>
      </div>
    </main>
  );
}
