'use client';

import type { DeployConfigView, DeploymentView, DeploySource, EventEnvelope, ServerView } from '@platform/contracts';
import type { Route } from 'next';
import Link from 'next/link';
import { useMemo, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { DeploymentSummary, LogView, ServerSteps } from '../../../components/deployment-progress';
import { formText, SelectField, TextAreaField, TextField } from '../../../components/fields';
import { useFailureReporter, useSession } from '../../../components/session-context';
import { useToast } from '../../../components/toasts';
import { eventFromMessage } from '../../../lib/activity';
import { ApiRequestError, issuesByField, type ApiBody } from '../../../lib/api';
import type { ServiceChoice } from '../../../lib/catalog';
import {
  applyToDeployment,
  deploymentFromRequested,
  isRunning,
  logLinesOf,
  narrate,
  type LogLine,
} from '../../../lib/deployments';
import { sentence } from '../../../lib/format';
import { parseEnvLines } from '../../../lib/wait';

type SourceType = DeploySource['type'];

interface Uploaded {
  readonly file: File;
  readonly uploadId?: string;
}

function contentTypeOf(file: File): 'application/gzip' | 'application/zip' {
  return /\.zip$/i.test(file.name) || file.type === 'application/zip' ? 'application/zip' : 'application/gzip';
}

function formatSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function DeployForm(props: {
  services: ServiceChoice[];
  servers: ServerView[];
  configs: DeployConfigView[];
  initialConfigId?: string;
  initialServiceId?: string;
}) {
  const { api } = useSession();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const initialConfig = props.configs.find((config) => config.id === props.initialConfigId);
  const readyServers = props.servers.filter((server) => server.status === 'ready');
  const [serviceId, setServiceId] = useState(
    initialConfig?.serviceId ?? props.initialServiceId ?? props.services[0]?.id ?? '',
  );
  const [sourceType, setSourceType] = useState<SourceType>(initialConfig?.source.type ?? 'upload');
  const [image, setImage] = useState(initialConfig?.source.type === 'image' ? initialConfig.source.image : '');
  const [gitUrl, setGitUrl] = useState(initialConfig?.source.type === 'git' ? initialConfig.source.url : '');
  const [gitRef, setGitRef] = useState(initialConfig?.source.type === 'git' ? initialConfig.source.ref : 'main');
  const [uploaded, setUploaded] = useState<Uploaded | undefined>();
  const [uploadId, setUploadId] = useState(
    initialConfig?.source.type === 'upload' ? initialConfig.source.uploadId : '',
  );
  const [serverIds, setServerIds] = useState<ReadonlySet<string>>(
    new Set(initialConfig?.serverIds ?? (readyServers.length === 1 ? [readyServers[0].id] : [])),
  );
  const [dragOver, setDragOver] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'deploying'>('idle');
  const [deployment, setDeployment] = useState<DeploymentView>();
  const [log, setLog] = useState<LogLine[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);

  const serverNames = useMemo(() => new Map(props.servers.map((server) => [server.id, server.name])), [props.servers]);
  const serverName = (id: string) => serverNames.get(id) ?? id.slice(0, 8);
  const service = props.services.find((item) => item.id === serviceId);

  function loadConfig(id: string) {
    const config = props.configs.find((item) => item.id === id);
    if (!config) return;
    setServiceId(config.serviceId);
    setSourceType(config.source.type);
    if (config.source.type === 'image') setImage(config.source.image);
    if (config.source.type === 'git') {
      setGitUrl(config.source.url);
      setGitRef(config.source.ref);
    }
    if (config.source.type === 'upload') {
      setUploadId(config.source.uploadId);
      setUploaded(undefined);
    }
    setServerIds(new Set(config.serverIds));
    toast.info(`Loaded deploy config “${config.name}”.`);
  }

  function chooseFile(file: File | undefined) {
    if (!file) return;
    setUploaded({ file });
    setUploadId('');
    setErrors((current) => ({ ...current, 'source.uploadId': '' }));
  }

  function onDrop(event: DragEvent<HTMLElement>) {
    event.preventDefault();
    setDragOver(false);
    chooseFile(event.dataTransfer.files[0]);
  }

  function addLine(line: LogLine) {
    setLog((current) => [...current, line]);
  }

  function onEvent(event: EventEnvelope) {
    if (event.type === 'DeploymentRequested')
      setDeployment((current) => ({ ...deploymentFromRequested(event), status: current?.status ?? 'pending' }));
    else setDeployment((current) => (current ? applyToDeployment(current, event) : current));
    const lines = logLinesOf(event);
    if (lines.length > 0) setLog((current) => [...current, ...lines]);
    else {
      const text = narrate(event, serverName);
      if (text) addLine({ at: event.occurredAt, serverId: null, step: 'deploy', line: text });
    }
  }

  async function sourceFor(): Promise<DeploySource> {
    if (sourceType === 'image') return { type: 'image', image: image.trim() };
    if (sourceType === 'git') return { type: 'git', url: gitUrl.trim(), ref: gitRef.trim() };
    if (uploaded && !uploaded.uploadId) {
      setPhase('uploading');
      const stored = await api.createUpload(uploaded.file, contentTypeOf(uploaded.file));
      setUploaded({ file: uploaded.file, uploadId: stored.uploadId });
      setUploadId(stored.uploadId);
      addLine({
        at: new Date().toISOString(),
        serverId: null,
        step: 'upload',
        line: `uploaded ${uploaded.file.name} (${formatSize(stored.size)}, sha256 ${stored.sha256.slice(0, 12)}…)`,
      });
      return { type: 'upload', uploadId: stored.uploadId };
    }
    return { type: 'upload', uploadId: uploaded?.uploadId ?? uploadId };
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setErrors({});
    setFormError(undefined);
    setDeployment(undefined);
    setLog([]);
    if (sourceType === 'upload' && !uploaded && !uploadId) {
      setErrors({ 'source.uploadId': 'Drop an archive (.tar.gz or .zip) here, or choose one.' });
      return;
    }
    let env: Record<string, string>;
    try {
      env = parseEnvLines(formText(data, 'env'));
    } catch (error) {
      setErrors({ env: (error as Error).message });
      return;
    }
    let ended = false;
    let deploymentId: string | undefined;
    try {
      const body: ApiBody<'createDeployment'> = {
        serviceId,
        source: await sourceFor(),
        serverIds: [...serverIds],
        ...(Object.keys(env).length > 0 ? { env } : {}),
      };
      setPhase('deploying');
      const chosen = [...serverIds];
      await api.deployStreaming(body, (message) => {
        if (message.event === 'accepted') {
          const accepted = JSON.parse(message.data) as { deploymentId: string };
          deploymentId = accepted.deploymentId;
          setDeployment(
            (current) =>
              current ?? {
                id: accepted.deploymentId,
                serviceId,
                status: 'pending',
                imageTag: `deploy_${accepted.deploymentId.replace(/-/g, '').slice(0, 8)}`,
                source: body.source,
                rollbackOf: null,
                servers: chosen.map((id) => ({ serverId: id, status: 'pending', reason: null, url: '' })),
                failureReason: null,
                requestedBy: '',
                requestedAt: new Date().toISOString(),
                finishedAt: null,
                durationMs: null,
              },
          );
          addLine({
            at: new Date().toISOString(),
            serverId: null,
            step: 'deploy',
            line: `deployment ${accepted.deploymentId} accepted`,
          });
          return;
        }
        const parsed = eventFromMessage(message.data);
        if (!parsed) {
          if (message.event === 'error')
            addLine({ at: new Date().toISOString(), serverId: null, step: 'error', line: message.data });
          return;
        }
        if (parsed.type === 'DeploymentSucceeded' || parsed.type === 'DeploymentFailed') ended = true;
        onEvent(parsed);
      });
      if (!ended && deploymentId) {
        // The stream closed early (a proxy, the network): the deployment goes on; read its end from the API.
        const id = deploymentId;
        addLine({
          at: new Date().toISOString(),
          serverId: null,
          step: 'deploy',
          line: 'the live stream ended early; following the deployment…',
        });
        for (;;) {
          const view = await api.getDeployment(id);
          setDeployment(view);
          if (!isRunning(view.status)) {
            addLine({
              at: new Date().toISOString(),
              serverId: null,
              step: 'deploy',
              line: `deployment ${view.status}`,
            });
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    } catch (error) {
      if (error instanceof ApiRequestError && error.code === 'validation_failed') {
        setErrors(issuesByField(error.fieldIssues));
        setFormError(`${sentence(error.message)}: check the fields marked below.`);
      } else if (error instanceof ApiRequestError) {
        setFormError(sentence(error.message));
        reportFailure(error);
      } else
        setFormError(
          `The deployment stream broke: ${(error as Error).message}. Its status is on the Deployments page.`,
        );
    } finally {
      setPhase('idle');
    }
  }

  const busy = phase !== 'idle';
  const succeeded = deployment?.status === 'succeeded';
  return (
    <div className="stack">
      <form className="card card-body form" onSubmit={(event) => void submit(event)} noValidate aria-label="Deploy">
        {formError && (
          <p className="form-error" role="alert">
            {formError}
          </p>
        )}
        <div className="form-row">
          <SelectField
            label="Service"
            name="serviceId"
            value={serviceId}
            onChange={(event) => setServiceId(event.target.value)}
            error={errors.serviceId}
          >
            {props.services.map((item) => (
              <option key={item.id} value={item.id}>
                {item.projectName} / {item.name}
              </option>
            ))}
          </SelectField>
          {props.configs.length > 0 && (
            <SelectField
              label="Load a saved deploy config"
              name="config"
              defaultValue={initialConfig?.id ?? ''}
              onChange={(event) => loadConfig(event.target.value)}
            >
              <option value="">—</option>
              {props.configs.map((config) => (
                <option key={config.id} value={config.id}>
                  {config.name}
                </option>
              ))}
            </SelectField>
          )}
        </div>

        <fieldset className="field">
          <legend>Source</legend>
          <div className="choice-row">
            {(
              [
                ['upload', 'Upload an archive'],
                ['image', 'Container image'],
                ['git', 'Git repository'],
              ] as const
            ).map(([type, label]) => (
              <label key={type} className="choice">
                <input
                  type="radio"
                  name="sourceType"
                  value={type}
                  checked={sourceType === type}
                  onChange={() => setSourceType(type)}
                />
                {label}
              </label>
            ))}
          </div>
        </fieldset>

        {sourceType === 'upload' && (
          <div className="field">
            <label
              className="dropzone"
              data-over={dragOver ? 'true' : undefined}
              onDragOver={(event) => {
                event.preventDefault();
                setDragOver(true);
              }}
              onDragLeave={() => setDragOver(false)}
              onDrop={onDrop}
            >
              <strong>
                {uploaded
                  ? `${uploaded.file.name} (${formatSize(uploaded.file.size)})`
                  : uploadId
                    ? `Upload ${uploadId.slice(0, 8)} (from the deploy config)`
                    : 'Drop the archive here'}
              </strong>
              <span className="muted">
                A .tar.gz or .zip of your app’s folder, or click to choose one. It is uploaded when you deploy.
              </span>
              <input
                ref={fileInput}
                type="file"
                name="archive"
                aria-label="Source archive"
                accept=".tar.gz,.tgz,.zip,application/gzip,application/zip"
                className="visually-hidden"
                onChange={(event) => chooseFile(event.target.files?.[0])}
              />
            </label>
            {errors['source.uploadId'] && <span className="error">{sentence(errors['source.uploadId'])}</span>}
          </div>
        )}
        {sourceType === 'image' && (
          <TextField
            label="Image reference"
            name="image"
            value={image}
            onChange={(event) => setImage(event.target.value)}
            className="mono"
            spellCheck={false}
            placeholder="ghcr.io/acme/web:1.2.3"
            error={errors['source.image'] ?? errors.source}
          />
        )}
        {sourceType === 'git' && (
          <div className="form-row">
            <TextField
              label="Repository URL"
              name="url"
              type="url"
              value={gitUrl}
              onChange={(event) => setGitUrl(event.target.value)}
              className="mono"
              placeholder="https://github.com/acme/web"
              error={errors['source.url'] ?? errors.source}
            />
            <TextField
              label="Branch, tag or commit"
              name="ref"
              value={gitRef}
              onChange={(event) => setGitRef(event.target.value)}
              className="mono"
              error={errors['source.ref']}
            />
          </div>
        )}

        <fieldset className="field">
          <legend>Servers</legend>
          <div className="server-picks">
            {props.servers.map((server) => (
              <label key={server.id} className="choice">
                <input
                  type="checkbox"
                  checked={serverIds.has(server.id)}
                  disabled={server.status !== 'ready' && !serverIds.has(server.id)}
                  onChange={(event) =>
                    setServerIds((current) => {
                      const next = new Set(current);
                      if (event.target.checked) next.add(server.id);
                      else next.delete(server.id);
                      return next;
                    })
                  }
                />
                {server.name}{' '}
                <span className="muted">
                  ({server.status === 'ready' ? (server.publicIp ?? 'ready') : server.status})
                </span>
              </label>
            ))}
          </div>
          {errors.serverIds && <span className="error">{sentence(errors.serverIds)}</span>}
        </fieldset>

        <TextAreaField
          label="Extra environment values"
          name="env"
          rows={3}
          className="mono"
          spellCheck={false}
          autoComplete="off"
          placeholder="VERSION=v2"
          error={errors.env}
          hint="One NAME=value a line, for this deployment on top of the service’s own. Stored encrypted."
        />

        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy || serverIds.size === 0}>
            {phase === 'uploading' ? 'Uploading…' : phase === 'deploying' ? 'Deploying…' : 'Deploy'}
          </button>
        </div>
      </form>

      {(deployment || log.length > 0) && (
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
            {succeeded && service && (
              <div className="live-result" role="status" aria-label="Your app">
                <h2>Your app is live</h2>
                <p>
                  Through the front proxy: <a href={service.url}>{service.url}</a>
                </p>
                <ul>
                  {deployment.servers.map((server) => {
                    const ip = props.servers.find((item) => item.id === server.serverId)?.publicIp;
                    const edge = server.url || (ip ? `http://${ip}` : '');
                    return (
                      <li key={server.serverId}>
                        {serverName(server.serverId)}’s edge: <code>{edge}</code> with{' '}
                        <code>Host: {service.hostname}</code> —{' '}
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
      )}
    </div>
  );
}
