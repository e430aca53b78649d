'use client';

import type { ServiceView } from '@platform/contracts';
import type { ApiResponse } from '../../../lib/api';

type ProjectView = ApiResponse<'getProject'>;
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useRef, useState, type FormEvent } from 'react';
import { DataTable, type Column } from '../../../components/data-table';
import { Dialog } from '../../../components/dialog';
import { EmptyState } from '../../../components/empty-state';
import { formText, TextAreaField, TextField, useFocusOnFieldErrors, FormActions } from '../../../components/fields';
import { useRefreshOn } from '../../../components/refresh-on';
import { useFailureReporter, useSession } from '../../../components/session-context';
import { useToast } from '../../../components/toasts';
import { ApiRequestError, issuesByField, type ApiBody } from '../../../lib/api';
import { sentence } from '../../../lib/format';
import { parseEnvLines, waitUntil } from '../../../lib/wait';

export interface ProjectWithServices {
  readonly project: ProjectView;
  readonly services: readonly ServiceView[];
  readonly servicesError?: string;
}

type Editing = { kind: 'create'; project: ProjectView } | { kind: 'edit'; service: ServiceView };

const serviceColumns: readonly Column<ServiceView>[] = [
  { header: 'Service', cell: (service) => service.name },
  { header: 'Hostname', className: 'mono', cell: (service) => service.hostname },
  { header: 'Port', cell: (service) => service.port },
  { header: 'Health check', className: 'mono', cell: (service) => service.healthCheckPath },
  {
    header: 'Environment',
    cell: (service) =>
      service.env.length === 0 ? (
        <span className="muted">none</span>
      ) : (
        <ul className="env-list">
          {service.env.map((variable) => (
            <li key={variable.name} className="mono">
              {variable.name}=<span className="muted">{variable.masked}</span>
            </li>
          ))}
        </ul>
      ),
  },
];

export function ProjectsView({ projects }: { projects: readonly ProjectWithServices[] }) {
  const { can } = useSession();
  const [creatingProject, setCreatingProject] = useState(false);
  const [editing, setEditing] = useState<Editing>();

  // Changes made elsewhere show here.
  useRefreshOn(['ProjectCreated', 'ServiceCreated', 'ServiceUpdated', 'DeploymentSucceeded']);

  const newProject = can('createProject') && (
    <button type="button" className="button primary" onClick={() => setCreatingProject(true)}>
      New project
    </button>
  );

  return (
    <div className="stack">
      {projects.length === 0 ? (
        <div className="card">
          <EmptyState
            icon="◆"
            title="No projects yet"
            action={newProject}
            readOnlyNote="A member, admin or owner can create projects."
          >
            <p>Create a project first, then a service in it: a service is what you deploy to your servers.</p>
          </EmptyState>
        </div>
      ) : (
        <>
          <div className="actions">{newProject}</div>
          {projects.map(({ project, services, servicesError }) => (
            <section key={project.id} className="card" aria-label={`Project ${project.name}`}>
              <div className="card-header">
                <h2>{project.name}</h2>
                {can('createService') && (
                  <button
                    type="button"
                    className="button small"
                    onClick={() => setEditing({ kind: 'create', project })}
                  >
                    New service
                  </button>
                )}
              </div>
              {servicesError && <p className="card-body form-error">{sentence(servicesError)}</p>}
              <DataTable
                columns={serviceColumns}
                rows={services}
                rowKey={(service) => service.id}
                actions={(service) => (
                  <>
                    <Link href={`/deployments?serviceId=${service.id}`} className="button small">
                      History
                    </Link>
                    {can('updateService') && (
                      <button
                        type="button"
                        className="button small"
                        aria-label={`Edit ${service.name}`}
                        onClick={() => setEditing({ kind: 'edit', service })}
                      >
                        Edit
                      </button>
                    )}
                  </>
                )}
                empty={<p className="card-body muted">No services yet: add one to deploy it.</p>}
              />
            </section>
          ))}
        </>
      )}
      <Dialog open={creatingProject} title="New project" onClose={() => setCreatingProject(false)}>
        <ProjectForm onDone={() => setCreatingProject(false)} />
      </Dialog>
      <Dialog
        open={editing !== undefined}
        title={
          editing?.kind === 'edit'
            ? `Edit service “${editing.service.name}”`
            : `New service in “${editing?.project.name ?? ''}”`
        }
        onClose={() => setEditing(undefined)}
      >
        {editing && <ServiceForm editing={editing} onDone={() => setEditing(undefined)} />}
      </Dialog>
    </div>
  );
}

function useSubmit() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [pending, setPending] = useState(false);
  const reportFailure = useFailureReporter();
  async function run(action: () => Promise<void>) {
    setPending(true);
    setErrors({});
    setFormError(undefined);
    try {
      await action();
    } catch (error) {
      setPending(false);
      if (error instanceof ApiRequestError && error.code === 'validation_failed') {
        setErrors(issuesByField(error.fieldIssues));
        setFormError(`${sentence(error.message)}: check the fields marked below.`);
      } else if (error instanceof ApiRequestError) reportFailure(error);
      else setFormError(sentence((error as Error).message));
    }
  }
  return { errors, formError, pending, run };
}

function ProjectForm({ onDone }: { onDone: () => void }) {
  const { api } = useSession();
  const router = useRouter();
  const toast = useToast();
  const form = useRef<HTMLFormElement>(null);
  const { errors, formError, pending, run } = useSubmit();
  useFocusOnFieldErrors(form, errors);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = formText(new FormData(event.currentTarget), 'name').trim();
    void run(async () => {
      const { projectId } = await api.createProject({ name });
      await waitUntil(async () => Boolean(await api.getProject(projectId)));
      toast.success(`Project “${name}” created.`);
      router.refresh();
      onDone();
    });
  }

  return (
    <form ref={form} className="form" onSubmit={submit} noValidate>
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <TextField
        label="Project name"
        name="name"
        required
        autoFocus
        maxLength={40}
        error={errors.name}
        hint="Lower-case letters, digits and dashes: “shop”."
      />
      <FormActions onCancel={onDone} pending={pending} submitLabel="Create project" pendingLabel="Creating…" />
    </form>
  );
}

function ServiceForm({ editing, onDone }: { editing: Editing; onDone: () => void }) {
  const { api } = useSession();
  const router = useRouter();
  const toast = useToast();
  const form = useRef<HTMLFormElement>(null);
  const { errors, formError, pending, run } = useSubmit();
  const [removed, setRemoved] = useState<ReadonlySet<string>>(new Set());
  useFocusOnFieldErrors(form, errors);
  const existing = editing.kind === 'edit' ? editing.service : undefined;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    void run(async () => {
      const env = parseEnvLines(formText(data, 'env'));
      const port = Number(formText(data, 'port'));
      const healthCheckPath = formText(data, 'healthCheckPath').trim();
      if (editing.kind === 'create') {
        const name = formText(data, 'name').trim();
        const { serviceId } = await api.createService(editing.project.id, {
          name,
          port,
          healthCheckPath: healthCheckPath || '/',
          env,
        });
        await waitUntil(async () => Boolean(await api.getService(serviceId)));
        toast.success(`Service “${name}” created.`);
      } else {
        const service = editing.service;
        const body: ApiBody<'updateService'> = {};
        if (port !== service.port) body.port = port;
        if (healthCheckPath !== service.healthCheckPath) body.healthCheckPath = healthCheckPath;
        const envChange: Record<string, string | null> = { ...env };
        for (const name of removed) if (!(name in env)) envChange[name] = null;
        if (Object.keys(envChange).length > 0) body.env = envChange;
        if (Object.keys(body).length === 0) {
          onDone();
          return;
        }
        const before = service.updatedAt;
        await api.updateService(service.id, body);
        await waitUntil(async () => (await api.getService(service.id)).updatedAt !== before);
        toast.success(`Service “${service.name}” saved.`);
      }
      router.refresh();
      onDone();
    });
  }

  return (
    <form ref={form} className="form" onSubmit={submit} noValidate>
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      {!existing && (
        <TextField
          label="Service name"
          name="name"
          required
          autoFocus
          maxLength={40}
          error={errors.name}
          hint="Also names its hostname: “web”."
        />
      )}
      <div className="form-row">
        <TextField
          label="Port"
          name="port"
          type="number"
          min={1}
          max={65535}
          required
          defaultValue={existing?.port ?? 3000}
          error={errors.port}
          hint="Where the app listens in its container."
        />
        <TextField
          label="Health check path"
          name="healthCheckPath"
          defaultValue={existing?.healthCheckPath ?? '/'}
          className="mono"
          error={errors.healthCheckPath}
          hint="Must answer 200 before traffic switches."
        />
      </div>
      {existing && existing.env.length > 0 && (
        <fieldset className="field">
          <legend>Environment values (masked: the API never sends them back)</legend>
          <ul className="env-list">
            {existing.env.map((variable) => (
              <li key={variable.name}>
                <label className="choice">
                  <input
                    type="checkbox"
                    aria-label={`Remove ${variable.name}`}
                    checked={removed.has(variable.name)}
                    onChange={(event) =>
                      setRemoved((current) => {
                        const next = new Set(current);
                        if (event.target.checked) next.add(variable.name);
                        else next.delete(variable.name);
                        return next;
                      })
                    }
                  />
                  <span className={removed.has(variable.name) ? 'mono struck' : 'mono'}>
                    {variable.name}=<span className="muted">{variable.masked}</span>
                  </span>
                  <span className="muted">remove</span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      )}
      <TextAreaField
        label={existing ? 'Set values' : 'Environment values'}
        name="env"
        spellCheck={false}
        autoComplete="off"
        className="mono"
        rows={4}
        placeholder={'DATABASE_URL=postgres://…\nGREETING=Hello'}
        error={errors.env}
        hint={
          existing
            ? 'One NAME=value a line; a name already set gets the new value. Values are stored encrypted.'
            : 'One NAME=value a line. Values are stored encrypted and shown masked.'
        }
      />
      <FormActions
        onCancel={onDone}
        pending={pending}
        submitLabel={existing ? 'Save service' : 'Create service'}
        pendingLabel="Saving…"
      />
    </form>
  );
}
