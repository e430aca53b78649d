'use client';

import type { DeployConfigView, DeploySource, ServerView } from '@platform/contracts';
import { useMemo, useState, type FormEvent } from 'react';
import { formText } from '../../../components/fields';
import { useFailureReporter } from '../../../components/session-context';
import { useToast } from '../../../components/toasts';
import { ApiRequestError, issuesByField } from '../../../lib/api';
import type { ServiceChoice } from '../../../lib/catalog';
import { sentence } from '../../../lib/format';
import { parseEnvLines } from '../../../lib/wait';
import { DeployProgress, useDeployRun } from './deploy-progress';
import { EnvEditor } from './env-editor';
import { NO_SOURCE, SourcePicker, withSource, type SourceDraft } from './source-picker';
import { ServerPicker, ServicePicker } from './target-picker';

export function DeployForm(props: {
  services: ServiceChoice[];
  servers: ServerView[];
  configs: DeployConfigView[];
  initialConfigId?: string;
  initialServiceId?: string;
}) {
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const initialConfig = props.configs.find((config) => config.id === props.initialConfigId);
  const readyServers = props.servers.filter((server) => server.status === 'ready');
  const [serviceId, setServiceId] = useState(
    initialConfig?.serviceId ?? props.initialServiceId ?? props.services[0]?.id ?? '',
  );
  const [source, setSource] = useState<SourceDraft>(
    initialConfig ? withSource(NO_SOURCE, initialConfig.source) : NO_SOURCE,
  );
  const [serverIds, setServerIds] = useState<ReadonlySet<string>>(
    new Set(initialConfig?.serverIds ?? (readyServers.length === 1 ? [readyServers[0].id] : [])),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();

  const serverNames = useMemo(() => new Map(props.servers.map((server) => [server.id, server.name])), [props.servers]);
  const serverName = (id: string) => serverNames.get(id) ?? id.slice(0, 8);
  const run = useDeployRun(serverName);

  function loadConfig(config: DeployConfigView) {
    setServiceId(config.serviceId);
    setSource((current) => withSource(current, config.source));
    setServerIds(new Set(config.serverIds));
    toast.info(`Loaded deploy config “${config.name}”.`);
  }

  /** The source as the API takes it; a newly chosen archive is uploaded first, once. */
  async function sourceFor(): Promise<DeploySource> {
    if (source.type === 'image') return { type: 'image', image: source.image.trim() };
    if (source.type === 'git') return { type: 'git', url: source.gitUrl.trim(), ref: source.gitRef.trim() };
    if (source.file && !source.uploadId) {
      const uploadId = await run.upload(source.file);
      setSource((current) => ({ ...current, uploadId }));
      return { type: 'upload', uploadId };
    }
    return { type: 'upload', uploadId: source.uploadId };
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setErrors({});
    setFormError(undefined);
    run.start();
    if (source.type === 'upload' && !source.file && !source.uploadId) {
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
    try {
      await run.deploy({
        serviceId,
        source: await sourceFor(),
        serverIds: [...serverIds],
        ...(Object.keys(env).length > 0 ? { env } : {}),
      });
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
      run.finish();
    }
  }

  return (
    <div className="stack">
      <form className="card card-body form" onSubmit={(event) => void submit(event)} noValidate aria-label="Deploy">
        {formError && (
          <p className="form-error" role="alert">
            {formError}
          </p>
        )}
        <ServicePicker
          services={props.services}
          serviceId={serviceId}
          onServiceChange={setServiceId}
          configs={props.configs}
          initialConfigId={initialConfig?.id}
          onLoadConfig={loadConfig}
          error={errors.serviceId}
        />
        <SourcePicker
          source={source}
          onChange={(next) => {
            setSource(next);
            setErrors((current) => ({ ...current, 'source.uploadId': '' }));
          }}
          errors={errors}
        />
        <ServerPicker servers={props.servers} serverIds={serverIds} onChange={setServerIds} error={errors.serverIds} />
        <EnvEditor error={errors.env} />
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={run.phase !== 'idle' || serverIds.size === 0}>
            {run.phase === 'uploading' ? 'Uploading…' : run.phase === 'deploying' ? 'Deploying…' : 'Deploy'}
          </button>
        </div>
      </form>
      <DeployProgress
        deployment={run.deployment}
        log={run.log}
        service={props.services.find((item) => item.id === serviceId)}
        servers={props.servers}
        serverName={serverName}
      />
    </div>
  );
}
