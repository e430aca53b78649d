import { TextAreaField } from '../../../components/fields';

/** Environment values for this deployment only, on top of the service's own; read from the form as `env`. */
export function EnvEditor({ error }: { error?: string }) {
  return (
    <TextAreaField
      label="Extra environment values"
      name="env"
      rows={3}
      className="mono"
      spellCheck={false}
      autoComplete="off"
      placeholder="VERSION=v2"
      error={error}
      hint="One NAME=value a line, for this deployment on top of the service’s own. Stored encrypted."
    />
  );
}
