'use client';

import type { DeployConfigView, ServerView } from '@platform/contracts';
import { SelectField } from '../../../components/fields';
import type { ServiceChoice } from '../../../lib/catalog';
import { sentence } from '../../../lib/format';

/** Which service to deploy, and a saved deploy config to fill the form from. */
export function ServicePicker({
  services,
  serviceId,
  onServiceChange,
  configs,
  initialConfigId,
  onLoadConfig,
  error,
}: {
  services: readonly ServiceChoice[];
  serviceId: string;
  onServiceChange: (serviceId: string) => void;
  configs: readonly DeployConfigView[];
  initialConfigId?: string;
  onLoadConfig: (config: DeployConfigView) => void;
  error?: string;
}) {
  return (
    <div className="form-row">
      <SelectField
        label="Service"
        name="serviceId"
        value={serviceId}
        onChange={(event) => onServiceChange(event.target.value)}
        error={error}
      >
        {services.map((item) => (
          <option key={item.id} value={item.id}>
            {item.projectName} / {item.name}
          </option>
        ))}
      </SelectField>
      {configs.length > 0 && (
        <SelectField
          label="Load a saved deploy config"
          name="config"
          defaultValue={initialConfigId ?? ''}
          onChange={(event) => {
            const config = configs.find((item) => item.id === event.target.value);
            if (config) onLoadConfig(config);
          }}
        >
          <option value="">—</option>
          {configs.map((config) => (
            <option key={config.id} value={config.id}>
              {config.name}
            </option>
          ))}
        </SelectField>
      )}
    </div>
  );
}

/** The servers to deploy to; only ready ones can be added (one already chosen stays, to be taken off). */
export function ServerPicker({
  servers,
  serverIds,
  onChange,
  error,
}: {
  servers: readonly ServerView[];
  serverIds: ReadonlySet<string>;
  onChange: (serverIds: ReadonlySet<string>) => void;
  error?: string;
}) {
  return (
    <fieldset className="field">
      <legend>Servers</legend>
      <div className="server-picks">
        {servers.map((server) => (
          <label key={server.id} className="choice">
            <input
              type="checkbox"
              checked={serverIds.has(server.id)}
              disabled={server.status !== 'ready' && !serverIds.has(server.id)}
              onChange={(event) => {
                const next = new Set(serverIds);
                if (event.target.checked) next.add(server.id);
                else next.delete(server.id);
                onChange(next);
              }}
            />
            {server.name}{' '}
            <span className="muted">({server.status === 'ready' ? (server.publicIp ?? 'ready') : server.status})</span>
          </label>
        ))}
      </div>
      {error && <span className="error">{sentence(error)}</span>}
    </fieldset>
  );
}
