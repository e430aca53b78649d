import type { ReactNode } from 'react';

/**
 * What a page shows when there is nothing yet: what belongs here, and the first thing to do; or, to a role that
 * may not do it, who may.
 */
export function EmptyState({
  icon,
  title,
  children,
  action,
  readOnlyNote,
}: {
  icon: string;
  title: string;
  children: ReactNode;
  action?: ReactNode;
  readOnlyNote?: string;
}) {
  return (
    <div className="empty">
      <div className="empty-icon" aria-hidden="true">
        {icon}
      </div>
      <h2>{title}</h2>
      {children}
      {action || (readOnlyNote && <p className="muted">{readOnlyNote}</p>)}
    </div>
  );
}
