'use client';

import type { DeploySource } from '@platform/contracts';
import { useState } from 'react';
import { TextField } from '../../../components/fields';
import { sentence } from '../../../lib/format';

/** What the form knows of each kind of source, so switching between them keeps what was typed. */
export interface SourceDraft {
  readonly type: DeploySource['type'];
  readonly image: string;
  readonly gitUrl: string;
  readonly gitRef: string;
  /** An archive chosen here, with its upload id once it is uploaded (a second deploy reuses it). */
  readonly file?: File;
  readonly uploadId: string;
}

/** Nothing typed or chosen yet: an archive to upload. */
export const NO_SOURCE: SourceDraft = { type: 'upload', image: '', gitUrl: '', gitRef: 'main', uploadId: '' };

/** The draft with a saved source (a deploy config's) filled in; what was typed for the other kinds stays. */
export function withSource(draft: SourceDraft, source: DeploySource): SourceDraft {
  switch (source.type) {
    case 'image':
      return { ...draft, type: 'image', image: source.image };
    case 'git':
      return { ...draft, type: 'git', gitUrl: source.url, gitRef: source.ref };
    case 'upload':
      return { ...draft, type: 'upload', uploadId: source.uploadId, file: undefined };
  }
}

export function formatSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const SOURCE_TYPES = [
  ['upload', 'Upload an archive'],
  ['image', 'Container image'],
  ['git', 'Git repository'],
] as const;

/** What to deploy: an archive dropped or chosen here, a container image, or a git repository and ref. */
export function SourcePicker({
  source,
  onChange,
  errors,
}: {
  source: SourceDraft;
  onChange: (next: SourceDraft) => void;
  errors: Readonly<Record<string, string>>;
}) {
  const [dragOver, setDragOver] = useState(false);

  function chooseFile(file: File | undefined) {
    if (file) onChange({ ...source, file, uploadId: '' });
  }

  return (
    <>
      <fieldset className="field">
        <legend>Source</legend>
        <div className="choice-row">
          {SOURCE_TYPES.map(([type, label]) => (
            <label key={type} className="choice">
              <input
                type="radio"
                name="sourceType"
                value={type}
                checked={source.type === type}
                onChange={() => onChange({ ...source, type })}
              />
              {label}
            </label>
          ))}
        </div>
      </fieldset>

      {source.type === 'upload' && (
        <div className="field">
          <label
            className="dropzone"
            data-over={dragOver ? 'true' : undefined}
            onDragOver={(event) => {
              event.preventDefault();
              setDragOver(true);
            }}
            onDragLeave={() => setDragOver(false)}
            onDrop={(event) => {
              event.preventDefault();
              setDragOver(false);
              chooseFile(event.dataTransfer.files[0]);
            }}
          >
            <strong>
              {source.file
                ? `${source.file.name} (${formatSize(source.file.size)})`
                : source.uploadId
                  ? `Upload ${source.uploadId.slice(0, 8)} (from the deploy config)`
                  : 'Drop the archive here'}
            </strong>
            <span className="muted">
              A .tar.gz or .zip of your app’s folder, or click to choose one. It is uploaded when you deploy.
            </span>
            <input
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
      {source.type === 'image' && (
        <TextField
          label="Image reference"
          name="image"
          value={source.image}
          onChange={(event) => onChange({ ...source, image: event.target.value })}
          className="mono"
          spellCheck={false}
          placeholder="ghcr.io/acme/web:1.2.3"
          error={errors['source.image'] ?? errors.source}
        />
      )}
      {source.type === 'git' && (
        <div className="form-row">
          <TextField
            label="Repository URL"
            name="url"
            type="url"
            value={source.gitUrl}
            onChange={(event) => onChange({ ...source, gitUrl: event.target.value })}
            className="mono"
            placeholder="https://github.com/acme/web"
            error={errors['source.url'] ?? errors.source}
          />
          <TextField
            label="Branch, tag or commit"
            name="ref"
            value={source.gitRef}
            onChange={(event) => onChange({ ...source, gitRef: event.target.value })}
            className="mono"
            error={errors['source.ref']}
          />
        </div>
      )}
    </>
  );
}
