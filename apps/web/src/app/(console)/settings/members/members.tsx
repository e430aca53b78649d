'use client';

import type { MemberView, Role } from '@platform/contracts';
import { useRouter } from 'next/navigation';
import { useRef, useState, type FormEvent } from 'react';
import { ConfirmButton } from '../../../../components/confirm-button';
import { DataTable } from '../../../../components/data-table';
import { formText, SelectField, TextField, useFocusOnFieldErrors } from '../../../../components/fields';
import { useFailureReporter, useSession } from '../../../../components/session-context';
import { TimeAgo } from '../../../../components/time-ago';
import { useToast } from '../../../../components/toasts';
import { ApiRequestError, issuesByField } from '../../../../lib/api';
import { WORKSPACE_COOKIE } from '../../../../lib/cookies';
import { sentence } from '../../../../lib/format';
import { roles } from '../roles';

export function Members({ initialMembers }: { initialMembers: readonly MemberView[] }) {
  const { api, me, can } = useSession();
  const router = useRouter();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const [members, setMembers] = useState(initialMembers);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [addError, setAddError] = useState<string>();
  const [pending, setPending] = useState(false);
  const [changing, setChanging] = useState<string>();
  const form = useRef<HTMLFormElement>(null);
  useFocusOnFieldErrors(form, errors);
  const workspaceId = me.workspace.id;

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const target = event.currentTarget;
    const data = new FormData(target);
    setPending(true);
    setErrors({});
    setAddError(undefined);
    try {
      const member = await api.addMember(workspaceId, {
        email: formText(data, 'email'),
        role: formText(data, 'role') as Role,
      });
      setMembers((current) => [...current.filter((item) => item.userId !== member.userId), member]);
      toast.success(`${member.email} added as ${member.role}.`);
      target.reset();
    } catch (error) {
      if (error instanceof ApiRequestError && error.fieldIssues.length > 0) {
        setErrors(issuesByField(error.fieldIssues));
      } else if (error instanceof ApiRequestError && error.code !== 'unauthorized') {
        // Shown beside the form, where the person is looking ("no user with this email has signed up").
        setAddError(sentence(error.message));
      } else reportFailure(error);
    } finally {
      setPending(false);
    }
  }

  async function changeRole(member: MemberView, role: Role) {
    setChanging(member.userId);
    try {
      const updated = await api.updateMember(workspaceId, member.userId, { role });
      setMembers((current) => current.map((item) => (item.userId === updated.userId ? updated : item)));
      toast.success(`${updated.email} is now ${updated.role}.`);
      // One's own role decides which buttons the console shows.
      if (member.userId === me.user.id) router.refresh();
    } catch (error) {
      reportFailure(error);
    } finally {
      setChanging(undefined);
    }
  }

  async function remove(member: MemberView) {
    await api.removeMember(workspaceId, member.userId);
    toast.success(member.userId === me.user.id ? `You left ${me.workspace.name}.` : `${member.email} removed.`);
    if (member.userId === me.user.id) {
      document.cookie = `${WORKSPACE_COOKIE}=; path=/; max-age=0; samesite=lax`;
      router.replace('/');
      router.refresh();
      return;
    }
    setMembers((current) => current.filter((item) => item.userId !== member.userId));
  }

  const manages = can('updateMember');

  return (
    <div className="stack">
      {can('addMember') && (
        <section className="card" aria-labelledby="add-member-title">
          <div className="card-header">
            <div>
              <h2 id="add-member-title">Add a member</h2>
              <p>
                For someone who has an account on this instance already, by its email. Someone new joins with an
                invitation link (below).
              </p>
            </div>
          </div>
          <form ref={form} className="card-body form" onSubmit={(event) => void add(event)} noValidate>
            {addError && (
              <p className="form-error" role="alert">
                {addError}
              </p>
            )}
            <div className="form-row">
              <TextField label="Email" name="email" type="email" required autoComplete="off" error={errors.email} />
              <SelectField label="Role" name="role" defaultValue="member" error={errors.role}>
                {roles.map(({ role, description }) => (
                  <option key={role} value={role}>
                    {role} — {description}
                  </option>
                ))}
              </SelectField>
            </div>
            <div className="form-actions">
              <button type="submit" className="button primary" disabled={pending}>
                {pending ? 'Adding…' : 'Add member'}
              </button>
            </div>
          </form>
        </section>
      )}

      <section className="card" aria-labelledby="members-title">
        <div className="card-header">
          <h2 id="members-title">
            Members <span className="badge">{members.length}</span>
          </h2>
        </div>
        <DataTable
          columns={[
            {
              header: 'Email',
              cell: (member) => (
                <>
                  {member.email} {member.userId === me.user.id && <span className="badge">you</span>}
                </>
              ),
            },
            {
              header: 'Role',
              cell: (member) =>
                manages ? (
                  <select
                    aria-label={`Role of ${member.email}`}
                    value={member.role}
                    disabled={changing === member.userId}
                    onChange={(event) => void changeRole(member, event.target.value as Role)}
                    style={{ width: 'auto' }}
                  >
                    {roles.map(({ role }) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                ) : (
                  <span className="badge">{member.role}</span>
                ),
            },
            { header: 'Joined', cell: (member) => <TimeAgo iso={member.joinedAt} /> },
          ]}
          rows={members}
          rowKey={(member) => member.userId}
          actions={(member) =>
            can('removeMember') && (
              <ConfirmButton
                label={member.userId === me.user.id ? 'Leave' : 'Remove'}
                accessibleLabel={`Remove ${member.email}`}
                title={member.userId === me.user.id ? `Leave ${me.workspace.name}?` : `Remove ${member.email}?`}
                description={
                  member.userId === me.user.id
                    ? 'You lose access to this workspace until someone adds you again.'
                    : `${member.email} loses access to this workspace.`
                }
                confirmLabel={member.userId === me.user.id ? 'Leave workspace' : 'Remove member'}
                onConfirm={() => remove(member)}
              />
            )
          }
          // The caller is a member, so the list is never empty.
          empty={null}
        />
      </section>
    </div>
  );
}
