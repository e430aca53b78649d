'use client';

import type { Route } from 'next';
import { usePathname, useRouter } from 'next/navigation';
import { useRef, useState, type FormEvent } from 'react';
import { ApiRequestError, issuesByField } from '../lib/api';
import { WORKSPACE_COOKIE } from '../lib/cookies';
import { Dialog } from './dialog';
import { focusFirstInvalid, formText, TextField } from './fields';
import { useFailureReporter, useSession } from './session-context';
import { useToast } from './toasts';

/**
 * Which workspace the console acts in. The choice is a cookie, so server-rendered pages send the same
 * `X-Workspace-Id` as the browser does.
 */
export function WorkspaceSwitcher() {
  const { me, api } = useSession();
  const router = useRouter();
  const pathname = usePathname();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const menu = useRef<HTMLDetailsElement>(null);
  const [creating, setCreating] = useState(false);
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});

  function switchTo(workspaceId: string) {
    if (menu.current) menu.current.open = false;
    if (workspaceId === me.workspace.id) return;
    document.cookie = `${WORKSPACE_COOKIE}=${workspaceId}; path=/; max-age=31536000; samesite=lax`;
    // A page about one thing (a deploy config) means nothing in another workspace: go to its section.
    const section = `/${pathname.split('/')[1] ?? ''}`;
    router.replace((section === '/settings' ? pathname : section) as Route);
    router.refresh();
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const name = formText(new FormData(form), 'name');
    setPending(true);
    try {
      const workspace = await api.createWorkspace({ name });
      toast.success(`Workspace “${workspace.name}” created.`);
      setCreating(false);
      switchTo(workspace.id);
    } catch (error) {
      if (error instanceof ApiRequestError && error.fieldIssues.length > 0) {
        setErrors(issuesByField(error.fieldIssues));
        focusFirstInvalid(form);
      } else reportFailure(error);
    } finally {
      setPending(false);
    }
  }

  return (
    <>
      <details
        ref={menu}
        className="workspace-switcher"
        onKeyDown={(event) => {
          if (event.key === 'Escape' && menu.current?.open) {
            menu.current.open = false;
            menu.current.querySelector('summary')?.focus();
          }
        }}
      >
        <summary className="button" aria-label={`Workspace: ${me.workspace.name}. Switch workspace`}>
          <span className="workspace-name">{me.workspace.name}</span>
          <span className="badge">{me.workspace.role}</span>
        </summary>
        <div className="workspace-menu" role="group" aria-label="Workspaces">
          {me.workspaces.map((workspace) => (
            <button
              key={workspace.id}
              type="button"
              className="button ghost"
              aria-current={workspace.id === me.workspace.id ? 'true' : undefined}
              onClick={() => switchTo(workspace.id)}
            >
              <span className="workspace-name">{workspace.name}</span>
              <span className="badge">{workspace.role}</span>
            </button>
          ))}
          <button
            type="button"
            className="button ghost"
            onClick={() => {
              if (menu.current) menu.current.open = false;
              setErrors({});
              setCreating(true);
            }}
          >
            + New workspace
          </button>
        </div>
      </details>
      <Dialog open={creating} title="New workspace" onClose={() => setCreating(false)}>
        <form className="form" onSubmit={(event) => void create(event)} noValidate>
          <p className="muted">A workspace has its own members, tokens, servers and deployments. You will be its owner.</p>
          <TextField label="Name" name="name" required maxLength={100} autoFocus error={errors.name} />
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setCreating(false)}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={pending}>
              {pending ? 'Creating…' : 'Create workspace'}
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
