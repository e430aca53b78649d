'use client';

import type { Route } from 'next';
import { usePathname, useRouter } from 'next/navigation';
import { useId, useRef, useState, type FormEvent } from 'react';
import { ApiRequestError, issuesByField } from '../lib/api';
import { WORKSPACE_COOKIE } from '../lib/cookies';
import { Dialog } from './dialog';
import { formText, TextField, useFocusOnFieldErrors, FormActions } from './fields';
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
  const toggle = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  const [menuOpen, setMenuOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const form = useRef<HTMLFormElement>(null);
  useFocusOnFieldErrors(form, errors);

  function switchTo(workspaceId: string) {
    setMenuOpen(false);
    if (workspaceId === me.workspace.id) return;
    document.cookie = `${WORKSPACE_COOKIE}=${workspaceId}; path=/; max-age=31536000; samesite=lax`;
    // A page about one thing (a deploy config) means nothing in another workspace: go to its section.
    const section = `/${pathname.split('/')[1] ?? ''}`;
    router.replace((section === '/settings' ? pathname : section) as Route);
    router.refresh();
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = formText(new FormData(event.currentTarget), 'name');
    setPending(true);
    try {
      const workspace = await api.createWorkspace({ name });
      toast.success(`Workspace “${workspace.name}” created.`);
      setCreating(false);
      switchTo(workspace.id);
    } catch (error) {
      if (error instanceof ApiRequestError && error.fieldIssues.length > 0) {
        setErrors(issuesByField(error.fieldIssues));
      } else reportFailure(error);
    } finally {
      setPending(false);
    }
  }

  return (
    <>
      <div
        className="workspace-switcher"
        onBlur={(event) => {
          // Closes when focus moves anywhere outside the switcher (a click elsewhere, Tab past the end).
          if (!event.currentTarget.contains(event.relatedTarget)) setMenuOpen(false);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && menuOpen) {
            setMenuOpen(false);
            toggle.current?.focus();
          }
        }}
      >
        <button
          ref={toggle}
          type="button"
          className="button"
          aria-expanded={menuOpen}
          aria-controls={menuId}
          aria-label={`Workspace: ${me.workspace.name}. Switch workspace`}
          onClick={() => setMenuOpen((open) => !open)}
        >
          <span className="workspace-name">{me.workspace.name}</span>
          <span className="badge">{me.workspace.role}</span>
        </button>
        {menuOpen && (
          <div id={menuId} className="workspace-menu" role="group" aria-label="Workspaces">
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
                setMenuOpen(false);
                setErrors({});
                setCreating(true);
              }}
            >
              + New workspace
            </button>
          </div>
        )}
      </div>
      <Dialog open={creating} title="New workspace" onClose={() => setCreating(false)}>
        <form ref={form} className="form" onSubmit={(event) => void create(event)} noValidate>
          <p className="muted">
            A workspace has its own members, tokens, servers and deployments. You will be its owner.
          </p>
          <TextField label="Name" name="name" required maxLength={100} autoFocus error={errors.name} />
          <FormActions
            onCancel={() => setCreating(false)}
            pending={pending}
            submitLabel="Create workspace"
            pendingLabel="Creating…"
          />
        </form>
      </Dialog>
    </>
  );
}
