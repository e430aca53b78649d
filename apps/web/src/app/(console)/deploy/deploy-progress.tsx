'use client';

import type { DeploymentView, EventEnvelope, ServerView } from '@platform/contracts';
import type { Route } from 'next';
import Link from 'next/link';
import { useState } from 'react';
import { DeploymentSummary, LogView, ServerSteps } from '../../../components/deployment-progress';
import { useSession } from '../../../components/session-context';
import { eventFromMessage } from '../../../lib/activity';
import type { ApiBody } from '../../../lib/api';
import type { ServiceChoice } from '../../../lib/catalog';
import {
  applyToDeployment,
  deploymentFromRequested,
  isRunning,
  logLinesOf,
  narrate,
  type LogLine,
} from '../../../lib/deployments';
import { formatSize } from './source-picker';

export type DeployPhase = 'idle' | 'uploading' | 'deploying';

function contentTypeOf(file: File): 'application/gzip' | 'application/zip' {
  return /\.zip$/i.test(file.name) || file.type === 'application/zip' ? 'application/zip' : 'application/gzip';
}

/** A deployment as the request that started it describes it, until its first event says more. */
function acceptedDeployment(deploymentId: string, body: ApiBody<'createDeployment'>): DeploymentView {
  return {
    id: deploymentId,
    serviceId: body.serviceId,
    status: 'pending',
    imageTag: `deploy_${deploymentId.replace(/-/g, '').slice(0, 8)}`,
    source: body.source,
    rollbackOf: null,
    servers: body.serverIds.map((id) => ({ serverId: id, status: 'pending', reason: null, url: '' })),
    failureReason: null,
    requestedBy: '',
    requestedAt: new Date().toISOString(),
    finishedAt: null,
    durationMs: null,
  };
}

/**
 * One deployment run from the deploy page: the archive's upload, then the deployment followed live on the
 * stream `POST /v1/deployments` answers with, or from the API when that stream ends early. Failures are thrown
 * to the form, which says where they belong.
 */
export function useDeployRun(serverName: (id: string) => string) {
  const { api } = useSession();
  const [phase, setPhase] = useState<DeployPhase>('idle');
  const [deployment, setDeployment] = useState<DeploymentView>();
  const [log, setLog] = useState<LogLine[]>([]);

  function addLine(step: string, line: string) {
    setLog((current) => [...current, { at: new Date().toISOString(), serverId: null, step, line }]);
  }

  function onEvent(event: EventEnvelope) {
    if (event.type === 'DeploymentRequested')
      setDeployment((current) => ({ ...deploymentFromRequested(event), status: current?.status ?? 'pending' }));
    else setDeployment((current) => (current ? applyToDeployment(current, event) : current));
    const lines = logLinesOf(event);
    if (lines.length > 0) setLog((current) => [...current, ...lines]);
    else {
      const text = narrate(event, serverName);
      if (text) setLog((current) => [...current, { at: event.occurredAt, serverId: null, step: 'deploy', line: text }]);
    }
  }

  function start() {
    setDeployment(undefined);
    setLog([]);
  }

  async function upload(file: File): Promise<string> {
    setPhase('uploading');
    const stored = await api.createUpload(file, contentTypeOf(file));
    addLine('upload', `uploaded ${file.name} (${formatSize(stored.size)}, sha256 ${stored.sha256.slice(0, 12)}…)`);
    return stored.uploadId;
  }

  async function deploy(body: ApiBody<'createDeployment'>): Promise<void> {
    setPhase('deploying');
    let ended = false;
    let deploymentId: string | undefined;
    await api.deployStreaming(body, (message) => {
      if (message.event === 'accepted') {
        deploymentId = (JSON.parse(message.data) as { deploymentId: string }).deploymentId;
        const accepted = acceptedDeployment(deploymentId, body);
        setDeployment((current) => current ?? accepted);
        addLine('deploy', `deployment ${deploymentId} accepted`);
        return;
      }
      const parsed = eventFromMessage(message.data);
      if (!parsed) {
        if (message.event === 'error') addLine('error', message.data);
        return;
      }
      if (parsed.type === 'DeploymentSucceeded' || parsed.type === 'DeploymentFailed') ended = true;
      onEvent(parsed);
    });
    if (ended || !deploymentId) return;
    // The stream closed early (a proxy, the network): the deployment goes on; read its end from the API.
    addLine('deploy', 'the live stream ended early; following the deployment…');
    for (;;) {
      const view = await api.getDeployment(deploymentId);
      setDeployment(view);
      if (!isRunning(view.status)) {
        addLine('deploy', `deployment ${view.status}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  return { phase, deployment, log, start, upload, deploy, finish: () => setPhase('idle') };
}

/** The run below the form: each server's steps, the live log and, once it succeeded, where the app answers. */
export function DeployProgress({
  deployment,
  log,
  service,
  servers,
  serverName,
}: {
  deployment: DeploymentView | undefined;
  log: readonly LogLine[];
  service: ServiceChoice | undefined;
  servers: readonly ServerView[];
  serverName: (id: string) => string;
}) {
  if (!deployment && log.length === 0) return null;
  return (
    <section className="card" aria-label="Deployment progress">
      <div className="card-header">
        <h2>{deployment ? `Deployment ${deployment.id.slice(0, 8)}` : 'Deployment'}</h2>
        {deployment && (
          <Link href={`/deployments/${deployment.id}` as Route} className="button small">
            Details
          </Link>
        )}
      </div>
      <div className="card-body stack">
        {deployment && <DeploymentSummary deployment={deployment} />}
        {deployment && <ServerSteps deployment={deployment} serverName={serverName} />}
        {deployment?.status === 'succeeded' && service && (
          <div className="live-result" role="status" aria-label="Your app">
            <h2>Your app is live</h2>
            <p>
              Through the front proxy: <a href={service.url}>{service.url}</a>
            </p>
            <ul>
              {deployment.servers.map((server) => {
                const ip = servers.find((item) => item.id === server.serverId)?.publicIp;
                const edge = server.url || (ip ? `http://${ip}` : '');
                return (
                  <li key={server.serverId}>
                    {serverName(server.serverId)}’s edge: <code>{edge}</code> with <code>Host: {service.hostname}</code>{' '}
                    —{' '}
                    <code>
                      curl -H &apos;Host: {service.hostname}&apos; {edge}
                    </code>
                  </li>
                );
              })}
            </ul>
          </div>
        )}
        <LogView lines={log} label="Live log" serverName={serverName} />
      </div>
    </section>
  );
}
