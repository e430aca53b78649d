'use client';

import { useLiveEvents } from './live-events';

const labels = { connecting: 'Connecting…', open: 'Live', reconnecting: 'Reconnecting…', closed: 'Offline' } as const;

/** Whether the console is receiving the workspace's events right now. */
export function LiveIndicator() {
  const { status, problem } = useLiveEvents();
  return (
    <span
      className="live-dot"
      data-status={status}
      title={problem?.message ?? 'Live updates from GET /v1/events'}
      role="status"
    >
      {labels[status]}
    </span>
  );
}
