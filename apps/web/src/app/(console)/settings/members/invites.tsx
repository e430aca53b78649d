'use client';

import type { CreatedInvite, InviteView, Role } from '@platform/contracts';
import { useRef, useState, type FormEvent } from 'react';
import { ConfirmButton } from '../../../../components/confirm-button';
import { CopyButton } from '../../../../components/copy-button';
import { DataTable, type Column } from '../../../../components/data-table';
import { Dialog } from '../../../../components/dialog';
import { formText, SelectField, TextField, useFocusOnFieldErrors } from '../../../../components/fields';
import { useFailureReporter, useSession } from '../../../../components/session-context';
import { TimeAgo } from '../../../../components/time-ago';
import { useToast } from '../../../../components/toasts';
import { ApiRequestError, issuesByField } from '../../../../lib/api';
import { roles } from '../roles';

const expiryChoices = [
  { days: '1', label: '1 day' },
  { days: '7', label: '7 days' },
  { days: '30', label: '30 days' },
];

const statusBadges: Record<InviteView['status'], string> = {
  pending: 'badge accent',
  used: 'badge success',
  expired: 'badge',
  revoked: 'badge',
};

const columns: readonly Column<InviteView>[] = [
  { header: 'For', cell: (invite) => invite.email ?? <span className="muted">anyone with the link</span> },
  { header: 'Role', cell: (invite) => <span className="badge">{invite.role}</span> },
  { header: 'Status', cell: (invite) => <span className={statusBadges[invite.status]}>{invite.status}</span> },
  {
    header: 'Expires',
    cell: (invite) =>
      invite.status === 'pending' ? <TimeAgo iso={invite.expiresAt} /> : <span className="muted">—</span>,
  },
];

/** The link a person opens to sign up (or log in) and join: the console's own signup page. */
function inviteLink(token: string): string {
  return `${window.location.origin}/signup?invite=${encodeURIComponent(token)}`;
}

/**
 * Invitations to this workspace: the way people join an instance whose signup is closed. An admin makes one for a
 * role (and, if they like, one email); its link is shown once, works once, and expires.
 */
export function Invites({ initialInvites }: { initialInvites: readonly InviteView[] }) {
  const { api, me } = useSession();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const [invites, setInvites] = useState(initialInvites);
  const [created, setCreated] = useState<CreatedInvite>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [createError, setCreateError] = useState<string>();
  const [pending, setPending] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  useFocusOnFieldErrors(form, errors);
  const workspaceId = me.workspace.id;

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const target = event.currentTarget;
    const data = new FormData(target);
    const email = formText(data, 'email');
    setPending(true);
    setErrors({});
    setCreateError(undefined);
    try {
      const invite = await api.createInvite(workspaceId, {
        role: formText(data, 'role') as Role,
        expiresInDays: Number(formText(data, 'expiresInDays')),
        ...(email ? { email } : {}),
      });
      const { token: _secret, ...view } = invite;
      setInvites((current) => [view, ...current]);
      setCreated(invite);
      target.reset();
    } catch (error) {
      if (error instanceof ApiRequestError && error.fieldIssues.length > 0) setErrors(issuesByField(error.fieldIssues));
      else if (error instanceof ApiRequestError && error.code !== 'unauthorized') setCreateError(error.message);
      else reportFailure(error);
    } finally {
      setPending(false);
    }
  }

  async function revoke(invite: InviteView) {
    await api.revokeInvite(workspaceId, invite.id);
    setInvites((current) => current.map((item) => (item.id === invite.id ? { ...item, status: 'revoked' } : item)));
    toast.success(`Invitation for ${invite.email ?? 'anyone with the link'} revoked.`);
  }

  return (
    <section className="card" aria-labelledby="invites-title">
      <div className="card-header">
        <div>
          <h2 id="invites-title">Invitations</h2>
          <p>
            People join this instance by invitation: the first account owns it, and after that signup is closed unless
            its operator set <code>SIGNUP=open</code>. An invitation link works once and expires; whoever opens it signs
            up (or logs in) and joins this workspace in the role you chose.
          </p>
        </div>
      </div>
      <form ref={form} className="card-body form" onSubmit={(event) => void create(event)} noValidate>
        {createError && (
          <p className="form-error" role="alert">
            {createError}
          </p>
        )}
        <div className="form-row">
          <TextField
            label="Invite email (optional)"
            name="email"
            type="email"
            autoComplete="off"
            hint="Only this address may use the link; leave empty for anyone who has it."
            error={errors.email}
          />
          <SelectField label="Invite role" name="role" defaultValue="member" error={errors.role}>
            {roles.map(({ role, description }) => (
              <option key={role} value={role}>
                {role} — {description}
              </option>
            ))}
          </SelectField>
          <SelectField label="Expires after" name="expiresInDays" defaultValue="7" error={errors.expiresInDays}>
            {expiryChoices.map((choice) => (
              <option key={choice.days} value={choice.days}>
                {choice.label}
              </option>
            ))}
          </SelectField>
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={pending}>
            {pending ? 'Creating…' : 'Create invitation link'}
          </button>
        </div>
      </form>
      <DataTable
        label="Invitations"
        columns={columns}
        rows={invites}
        rowKey={(invite) => invite.id}
        actions={(invite) =>
          invite.status === 'pending' && (
            <ConfirmButton
              label="Revoke"
              accessibleLabel={`Revoke the invitation for ${invite.email ?? 'anyone with the link'}`}
              title="Revoke this invitation?"
              description="Its link is refused from now on. Make a new one to invite them again."
              confirmLabel="Revoke invitation"
              onConfirm={() => revoke(invite)}
            />
          )
        }
        empty={<p className="card-body muted">No invitations yet.</p>}
      />
      <Dialog open={created !== undefined} title="Copy the invitation link" onClose={() => setCreated(undefined)}>
        {created && (
          <>
            <p>
              This is the only time the link is shown. Send it to {created.email ?? 'the person you invite'}; it works
              once, as {created.role}, until {new Date(created.expiresAt).toLocaleString()}.
            </p>
            <div className="secret">
              <code aria-label="The invitation link">{inviteLink(created.token)}</code>
              <CopyButton text={inviteLink(created.token)} />
            </div>
            <div className="form-actions">
              <button type="button" className="button primary" autoFocus onClick={() => setCreated(undefined)}>
                Done
              </button>
            </div>
          </>
        )}
      </Dialog>
    </section>
  );
}
