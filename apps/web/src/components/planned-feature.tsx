import type { ReactNode } from 'react';
import { EmptyState } from './empty-state';

/**
 * A page whose API is still being built: what will be here, and which routes it waits for. It shows no
 * made-up data.
 */
export function PlannedFeature({ icon, title, routes, children }: { icon: string; title: string; routes: readonly string[]; children: ReactNode }) {
  return (
    <section className="card">
      <EmptyState icon={icon} title={title}>
        {children}
        <p>
          <span className="badge warning">Coming soon</span> This page comes alive when the platform&apos;s API offers:
        </p>
        <ul>
          {routes.map((route) => (
            <li key={route}>
              <code>{route}</code>
            </li>
          ))}
        </ul>
      </EmptyState>
    </section>
  );
}
