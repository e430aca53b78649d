import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../../components/api-error-notice';
import { settle } from '../../../../lib/api';
import { getSession, mayCall, serverApi } from '../../../../lib/session';
import { Invites } from './invites';
import { Members } from './members';

export const metadata: Metadata = { title: 'Members' };

export default async function MembersPage() {
  const session = await getSession();
  if (!session.ok) return <ApiErrorNotice error={session.error} what="the members" />;
  const api = await serverApi();
  const workspaceId = session.value.me.workspace.id;
  const [members, invites] = await Promise.all([
    settle(api.listMembers(workspaceId)),
    (await mayCall('listInvites')) ? settle(api.listInvites(workspaceId)) : undefined,
  ]);
  if (!members.ok) return <ApiErrorNotice error={members.error} what="the members" />;
  if (invites && !invites.ok) return <ApiErrorNotice error={invites.error} what="the invitations" />;
  return (
    <div className="stack">
      <Members initialMembers={members.value.items} />
      {invites && <Invites initialInvites={invites.value.items} />}
    </div>
  );
}
