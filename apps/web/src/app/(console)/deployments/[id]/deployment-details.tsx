'use client';

import type { DeploymentView } from '@platform/contracts';
import type { Route } from 'next';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ConfirmButton } from '../../../../components/confirm-button';
import { DeploymentSummary, LogView, ServerSteps } from '../../../../components/deployment-progress';
import { useEventListener } from '../../../../components/live-events';
import { useSession } from '../../../../components/session-context';
import { TimeAgo } from '../../../../components/time-ago';
import { useToast } from '../../../../components/toasts';
import { applyToDeployment, formatDuration, isRunning, logLinesOf, type LogLine } from '../../../../lib/deployments';
import { formatUtc, sentence } from '../../../../lib/format';

export function DeploymentDetails(props: {
  initial: DeploymentView;
  initialLog: LogLine[];
  logError?: string;
  service?: { name: string; hostname: string; url: string };
  serverNames: Record<string, string>;
  people: Record<string, string>;
}) {
  const { api, can, me } = useSession();
  const router = useRouter();
  const toast = useToast();
  const [deployment, setDeployment] = useState(props.initial);
  const [log, setLog] = useState(props.initialLog);
  const serverName = (id: string) => props.serverNames[id] ?? id.slice(0, 8);

  useEventListener((event) => {
    if ((event.data as { deploymentId?: string }).deploymentId !== deployment.id) return;
    setDeployment((current) => applyToDeployment(current, event));
    const lines = logLinesOf(event);
    if (lines.length > 0) setLog((current) => [...current, ...lines]);
    if (event.type === 'DeploymentSucceeded' || event.type === 'DeploymentFailed') {
      // The whole log as stored, once the read model has it.
      setTimeout(() => {
        api.getDeploymentLogs(deployment.id).then(
          (full) => setLog(full.lines),
          () => undefined,
        );
      }, 500);
    }
  });

  async function rollback() {
    const { deploymentId } = await api.rollbackDeployment(deployment.id);
    toast.success(`Rolling back to ${deployment.imageTag}.`);
    router.push(`/deployments/${deploymentId}` as Route);
  }

  const who =
    deployment.requestedBy === me.user.id ? 'you' : (props.people[deployment.requestedBy] ?? deployment.requestedBy);
  const source = deployment.source;
  return (
    <div className="stack">
      <section className="card">
        <div className="card-header">
          <h2>{props.service ? `${props.service.name} · ${deployment.imageTag}` : deployment.imageTag}</h2>
          <div className="actions">
            <Link href={`/deployments?serviceId=${deployment.serviceId}` as Route} className="button small">
              History of this service
            </Link>
            {can('rollbackDeployment') && deployment.status === 'succeeded' && (
              <ConfirmButton
                label="Roll back to this"
                className="button small"
                title={`Roll back to ${deployment.imageTag}?`}
                description="A new deployment runs this exact image again, with its environment as it was, on its servers."
                confirmLabel="Roll back"
                onConfirm={rollback}
              />
            )}
          </div>
        </div>
        <div className="card-body stack">
          <DeploymentSummary deployment={deployment} />
          <dl className="definition">
            <dt>Source</dt>
            <dd className="mono">
              {source.type === 'image'
                ? source.image
                : source.type === 'git'
                  ? `${source.url} @ ${source.ref}`
                  : `upload ${source.uploadId.slice(0, 8)}`}
            </dd>
            <dt>Started by</dt>
            <dd>
              {who}, <TimeAgo iso={deployment.requestedAt} />
            </dd>
            <dt>Finished</dt>
            <dd>
              {deployment.finishedAt
                ? `${formatUtc(deployment.finishedAt)} (${formatDuration(deployment.durationMs)})`
                : isRunning(deployment.status)
                  ? 'running…'
                  : '—'}
            </dd>
            {deployment.rollbackOf && (
              <>
                <dt>Rollback of</dt>
                <dd>
                  <Link href={`/deployments/${deployment.rollbackOf}` as Route}>
                    {deployment.rollbackOf.slice(0, 8)}
                  </Link>
                </dd>
              </>
            )}
            {props.service && deployment.status === 'succeeded' && (
              <>
                <dt>App URL</dt>
                <dd>
                  <a href={props.service.url}>{props.service.url}</a>
                  {deployment.servers.map((server) => (
                    <div key={server.serverId} className="muted small-text">
                      {serverName(server.serverId)}: <code>{server.url}</code> with{' '}
                      <code>Host: {props.service?.hostname}</code>
                    </div>
                  ))}
                </dd>
              </>
            )}
          </dl>
          <ServerSteps deployment={deployment} serverName={serverName} />
        </div>
      </section>
      <section className="card">
        <div className="card-header">
          <h2>Log</h2>
        </div>
        {props.logError ? (
          <p className="card-body form-error">{sentence(props.logError)}</p>
        ) : (
          <LogView lines={log} label="Deployment log" serverName={serverName} />
        )}
      </section>
    </div>
  );
}
