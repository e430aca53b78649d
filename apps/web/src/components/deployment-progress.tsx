'use client';

import type { DeploymentView } from '@platform/contracts';
import { useEffect, useRef } from 'react';
import { formatDuration, statusLabel, statusTone, type LogLine } from '../lib/deployments';
import { sentence } from '../lib/format';

type ServerStatus = DeploymentView['servers'][number]['status'];

const STEPS: { status: ServerStatus; label: string }[] = [
  { status: 'pending', label: 'queued' },
  { status: 'image_ready', label: 'image ready' },
  { status: 'switched', label: 'switched' },
];
const ORDER: Record<ServerStatus, number> = { pending: 0, image_ready: 1, switched: 2, failed: 1, rolled_back: 1 };

export function DeploymentStatusBadge({ status }: { status: DeploymentView['status'] }) {
  return <span className={`badge ${statusTone(status)}`}>{statusLabel(status)}</span>;
}

/** Each server's way through the deployment: queued → image ready → switched, or failed / rolled back. */
export function ServerSteps({
  deployment,
  serverName,
}: {
  deployment: DeploymentView;
  serverName: (id: string) => string;
}) {
  return (
    <ul className="steps" aria-label="Progress per server">
      {deployment.servers.map((server) => {
        const name = serverName(server.serverId);
        const broken = server.status === 'failed' || server.status === 'rolled_back';
        return (
          <li key={server.serverId} aria-label={`${name}: ${server.status.replace('_', ' ')}`}>
            <strong>{name}</strong>
            <span className="step-track">
              {STEPS.map((step, index) => (
                <span
                  key={step.status}
                  data-done={!broken && ORDER[server.status] >= index && index > 0 ? 'true' : undefined}
                >
                  {step.label}
                </span>
              ))}
              {broken && <span data-failed="true">{server.status === 'failed' ? 'failed' : 'rolled back'}</span>}
            </span>
            {server.reason && <span className="muted small-text">{sentence(server.reason)}</span>}
          </li>
        );
      })}
    </ul>
  );
}

export function DeploymentSummary({ deployment }: { deployment: DeploymentView }) {
  return (
    <p>
      <DeploymentStatusBadge status={deployment.status} /> <span className="mono">{deployment.imageTag}</span>
      {deployment.durationMs !== null && <span className="muted"> · {formatDuration(deployment.durationMs)}</span>}
      {deployment.failureReason && (
        <span className="form-error failure-reason"> · {sentence(deployment.failureReason)}</span>
      )}
    </p>
  );
}

/** A log that keeps its end in view while lines arrive, unless the reader scrolled up. */
export function LogView({
  lines,
  label,
  serverName,
}: {
  lines: readonly LogLine[];
  label: string;
  serverName: (id: string) => string;
}) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const log = ref.current;
    if (log && log.scrollHeight - log.scrollTop - log.clientHeight < 80) log.scrollTop = log.scrollHeight;
  }, [lines]);
  return (
    <pre ref={ref} className="log" aria-label={label} tabIndex={0}>
      {lines.length === 0 && <span className="muted">Waiting for the first lines…</span>}
      {lines.map((line, index) => (
        <span key={index}>
          <span className="log-step">
            [{line.step}
            {line.serverId ? ` ${serverName(line.serverId)}` : ''}]
          </span>{' '}
          {line.line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}
