'use client';

import type { DeployConfigView, DeploySource } from '@platform/contracts';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useRef, useState, type FormEvent } from 'react';
import { formText, TextAreaField, TextField, useFocusOnFieldErrors } from '../../../components/fields';
import { useFailureReporter, useSession } from '../../../components/session-context';
import { useToast } from '../../../components/toasts';
import { ApiRequestError, issuesByField, type ApiBody } from '../../../lib/api';
import { sentence } from '../../../lib/format';
import { waitForDeployConfig } from '../../../lib/deploy-configs';

type SourceType = DeploySource['type'];

const sourceTypes: { type: SourceType; label: string }[] = [
  { type: 'image', label: 'Container image' },
  { type: 'git', label: 'Git repository' },
  { type: 'upload', label: 'Uploaded archive' },
];

/** Ids and references pasted with a stray space or newline are still meant without it. */
function text(data: FormData, name: string): string {
  return formText(data, name).trim();
}

/** The form's values as the API's body; the API validates it and says which field is wrong. */
function bodyFrom(data: FormData, sourceType: SourceType): ApiBody<'createDeployConfig'> {
  const source: DeploySource =
    sourceType === 'image'
      ? { type: 'image', image: text(data, 'image') }
      : sourceType === 'git'
        ? { type: 'git', url: text(data, 'url'), ref: text(data, 'ref') }
        : { type: 'upload', uploadId: text(data, 'uploadId') };
  const batchSize = text(data, 'batchSize');
  return {
    name: text(data, 'name'),
    serviceId: text(data, 'serviceId'),
    source,
    serverIds: text(data, 'serverIds')
      .split(/[\s,]+/)
      .filter(Boolean),
    ...(batchSize ? { strategy: { batchSize: Number(batchSize) } } : {}),
  };
}

/** Creates a deploy config, or edits `existing`. */
export function DeployConfigForm({ existing }: { existing?: DeployConfigView }) {
  const { api } = useSession();
  const router = useRouter();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const form = useRef<HTMLFormElement>(null);
  const [sourceType, setSourceType] = useState<SourceType>(existing?.source.type ?? 'image');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [pending, setPending] = useState(false);
  useFocusOnFieldErrors(form, errors);
  const source = existing?.source;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const body = bodyFrom(new FormData(event.currentTarget), sourceType);
    setPending(true);
    setErrors({});
    setFormError(undefined);
    try {
      const { deployConfigId } = existing
        ? await api.updateDeployConfig(existing.id, body)
        : await api.createDeployConfig(body);
      const shown = await waitForDeployConfig(api, deployConfigId, (config) =>
        existing ? (config?.version ?? 0) > existing.version : config !== undefined,
      );
      toast.success(
        shown
          ? `Deploy config “${body.name}” ${existing ? 'saved' : 'created'}.`
          : `Deploy config “${body.name}” accepted; it will show in a moment.`,
      );
      router.push('/deploy-configs');
      router.refresh();
    } catch (error) {
      setPending(false);
      if (error instanceof ApiRequestError && error.code === 'validation_failed') {
        const byField = issuesByField(error.fieldIssues);
        setErrors(byField);
        setFormError(`${sentence(error.message)}: check the fields marked below.`);
      } else reportFailure(error);
    }
  }

  return (
    <form ref={form} className="card card-body form" onSubmit={(event) => void submit(event)} noValidate>
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <div className="form-row">
        <TextField
          label="Name"
          name="name"
          defaultValue={existing?.name}
          required
          maxLength={100}
          autoFocus
          error={errors.name}
          hint="For people: “web (production)”."
        />
        <TextField
          label="Service id"
          name="serviceId"
          defaultValue={existing?.serviceId}
          required
          className="mono"
          spellCheck={false}
          error={errors.serviceId}
          hint="The service to deploy. A picker replaces this once the projects and services API is there."
        />
      </div>

      <fieldset className="field">
        <legend>Source</legend>
        <div className="choice-row">
          {sourceTypes.map((option) => (
            <label key={option.type} className="choice">
              <input
                type="radio"
                name="sourceType"
                value={option.type}
                checked={sourceType === option.type}
                onChange={() => setSourceType(option.type)}
              />
              {option.label}
            </label>
          ))}
        </div>
        {errors.source && <span className="error">{errors.source}</span>}
      </fieldset>

      {sourceType === 'image' && (
        <TextField
          label="Image reference"
          name="image"
          defaultValue={source?.type === 'image' ? source.image : ''}
          required
          className="mono"
          spellCheck={false}
          placeholder="ghcr.io/acme/web:1.2.3"
          error={errors['source.image']}
        />
      )}
      {sourceType === 'git' && (
        <div className="form-row">
          <TextField
            label="Repository URL"
            name="url"
            type="url"
            defaultValue={source?.type === 'git' ? source.url : ''}
            required
            className="mono"
            placeholder="https://github.com/acme/web"
            error={errors['source.url']}
          />
          <TextField
            label="Branch, tag or commit"
            name="ref"
            defaultValue={source?.type === 'git' ? source.ref : 'main'}
            required
            className="mono"
            error={errors['source.ref']}
          />
        </div>
      )}
      {sourceType === 'upload' && (
        <TextField
          label="Upload id"
          name="uploadId"
          defaultValue={source?.type === 'upload' ? source.uploadId : ''}
          required
          className="mono"
          error={errors['source.uploadId']}
          hint="The id an archive upload answered. Drag-and-drop upload comes with the uploads API."
        />
      )}

      <div className="form-row">
        <TextAreaField
          label="Server ids"
          name="serverIds"
          defaultValue={existing?.serverIds.join('\n')}
          required
          spellCheck={false}
          error={errors.serverIds}
          hint="One per line. Servers to pick from appear here once the servers API is there."
        />
        <TextField
          label="Batch size"
          name="batchSize"
          type="number"
          min={1}
          max={100}
          defaultValue={existing?.strategy?.batchSize}
          error={errors['strategy.batchSize'] ?? errors.strategy}
          hint="How many servers switch to a new version at once. Empty: one at a time."
        />
      </div>

      <div className="form-actions">
        <Link href="/deploy-configs" className="button">
          Cancel
        </Link>
        <button type="submit" className="button primary" disabled={pending}>
          {pending ? 'Saving…' : existing ? 'Save changes' : 'Create deploy config'}
        </button>
      </div>
    </form>
  );
}
