import type { ReactNode } from 'react';

/** What a page shows when there is nothing yet: what belongs here, and the first thing to do. */
export function EmptyState({
  icon,
  title,
  children,
  action,
}: {
  icon: string;
  title: string;
  children: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="empty">
      <div className="empty-icon" aria-hidden="true">
        {icon}
      </div>
      <h2>{title}</h2>
      {children}
      {action}
    </div>
  );
}
