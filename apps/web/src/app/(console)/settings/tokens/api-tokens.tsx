'use client';

import type { ApiTokenView, CreatedApiToken, Scope } from '@platform/contracts';
import { useRef, useState, type FormEvent } from 'react';
import { ConfirmButton } from '../../../../components/confirm-button';
import { CopyButton } from '../../../../components/copy-button';
import { Dialog } from '../../../../components/dialog';
import { EmptyState } from '../../../../components/empty-state';
import { usePagedList } from '../../../../components/paged-list';
import { DataTable, type Column } from '../../../../components/data-table';
import { formText, SelectField, TextField, useFocusOnFieldErrors, FormActions } from '../../../../components/fields';
import { useFailureReporter, useSession } from '../../../../components/session-context';
import { TimeAgo } from '../../../../components/time-ago';
import { useToast } from '../../../../components/toasts';
import { ApiRequestError, issuesByField, type ApiResponse } from '../../../../lib/api';

const scopeDescriptions: Record<Scope, string> = {
  read: 'read everything',
  deploy: 'deploy and manage deploy configs',
  infra: 'manage servers and snapshots',
  admin: 'manage members and tokens',
};

const expiryChoices = [
  { days: '', label: 'Never' },
  { days: '30', label: '30 days' },
  { days: '90', label: '90 days' },
  { days: '365', label: '1 year' },
];

const never = <span className="muted">never</span>;

const columns: readonly Column<ApiTokenView>[] = [
  { header: 'Name', cell: (token) => token.name },
  { header: 'Token', cell: (token) => <code>{token.prefix}…</code> },
  {
    header: 'Scopes',
    cell: (token) =>
      token.scopes.map((scope) => (
        <span key={scope} className="badge accent" style={{ marginRight: 4 }}>
          {scope}
        </span>
      )),
  },
  { header: 'Last used', cell: (token) => (token.lastUsedAt ? <TimeAgo iso={token.lastUsedAt} /> : never) },
  { header: 'Expires', cell: (token) => (token.expiresAt ? <TimeAgo iso={token.expiresAt} /> : never) },
];

export function ApiTokens(props: {
  firstPage: ApiResponse<'listApiTokens'>;
  grantableScopes: readonly Scope[];
  seesAllTokens: boolean;
}) {
  const { api } = useSession();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const {
    items: tokens,
    setItems: setTokens,
    paging,
  } = usePagedList<ApiTokenView>(props.firstPage, (cursor) => api.listApiTokens({ limit: 50, cursor }), reportFailure);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [created, setCreated] = useState<CreatedApiToken>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  useFocusOnFieldErrors(form, errors);

  function openDialog() {
    setCreated(undefined);
    setErrors({});
    setDialogOpen(true);
  }

  function closeDialog() {
    // The secret is forgotten with the dialog: it is shown this once only.
    setDialogOpen(false);
    setCreated(undefined);
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const expiresInDays = formText(data, 'expiresInDays');
    setPending(true);
    setErrors({});
    try {
      const token = await api.createApiToken({
        name: formText(data, 'name'),
        scopes: data.getAll('scopes').map(String) as Scope[],
        ...(expiresInDays ? { expiresInDays: Number(expiresInDays) } : {}),
      });
      const { token: _secret, ...view } = token;
      setTokens((current) => [view, ...current]);
      setCreated(token);
      toast.success(`API token “${token.name}” created.`);
    } catch (error) {
      if (error instanceof ApiRequestError && error.fieldIssues.length > 0) {
        setErrors(issuesByField(error.fieldIssues));
      } else reportFailure(error);
    } finally {
      setPending(false);
    }
  }

  async function revoke(token: ApiTokenView) {
    await api.revokeApiToken(token.id);
    setTokens((current) => current.filter((item) => item.id !== token.id));
    toast.success(`API token “${token.name}” revoked.`);
  }

  return (
    <section className="card" aria-labelledby="tokens-title">
      <div className="card-header">
        <div>
          <h2 id="tokens-title">API tokens</h2>
          <p>
            For CI and scripts: <code>Authorization: Bearer plt_…</code>.{' '}
            {props.seesAllTokens ? 'You see every token of this workspace.' : 'You see the tokens you created.'}
          </p>
        </div>
        <button type="button" className="button primary" onClick={openDialog}>
          Create token
        </button>
      </div>

      <DataTable
        columns={columns}
        rows={tokens}
        rowKey={(token) => token.id}
        actions={(token) => (
          <ConfirmButton
            label="Revoke"
            accessibleLabel={`Revoke ${token.name}`}
            title={`Revoke “${token.name}”?`}
            description="Programs using this token are refused from now on. This cannot be undone; create a new token to restore access."
            confirmLabel="Revoke token"
            onConfirm={() => revoke(token)}
          />
        )}
        paging={paging}
        empty={
          <EmptyState icon="⚷" title="No API tokens yet">
            <p>
              Create a token for each program that calls the API, with only the scopes it needs, so you can revoke one
              without touching the others.
            </p>
          </EmptyState>
        }
      />

      <Dialog open={dialogOpen} title={created ? 'Copy your new token' : 'Create an API token'} onClose={closeDialog}>
        {created ? (
          <>
            <p>
              This is the only time the token is shown. Store it in your CI&apos;s secrets now; if it is lost, revoke it
              and create another.
            </p>
            <div className="secret">
              <code aria-label="The new API token">{created.token}</code>
              <CopyButton text={created.token} />
            </div>
            <div className="form-actions">
              <button type="button" className="button primary" autoFocus onClick={closeDialog}>
                Done
              </button>
            </div>
          </>
        ) : (
          <form ref={form} className="form" onSubmit={(event) => void create(event)} noValidate>
            <TextField
              label="Name"
              name="name"
              required
              maxLength={100}
              autoFocus
              placeholder="GitHub Actions (web)"
              error={errors.name}
            />
            <fieldset className="field">
              <legend>Scopes</legend>
              {props.grantableScopes.map((scope) => (
                <label key={scope} className="choice">
                  <input type="checkbox" name="scopes" value={scope} defaultChecked={scope === 'read'} />
                  <strong>{scope}</strong> <span className="muted">— {scopeDescriptions[scope]}</span>
                </label>
              ))}
              <span className="hint">A token never gets more than your own role allows.</span>
              {errors.scopes && <span className="error">{errors.scopes}</span>}
            </fieldset>
            <SelectField label="Expires" name="expiresInDays" defaultValue="90" error={errors.expiresInDays}>
              {expiryChoices.map((choice) => (
                <option key={choice.label} value={choice.days}>
                  {choice.label}
                </option>
              ))}
            </SelectField>
            <FormActions onCancel={closeDialog} pending={pending} submitLabel="Create token" pendingLabel="Creating…" />
          </form>
        )}
      </Dialog>
    </section>
  );
}
