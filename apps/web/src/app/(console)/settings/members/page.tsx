import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../../components/api-error-notice';
import { settle } from '../../../../lib/api';
import { getSession, serverApi } from '../../../../lib/session';
import { Members } from './members';

export const metadata: Metadata = { title: 'Members' };

export default async function MembersPage() {
  const session = await getSession();
  if (!session.ok) return <ApiErrorNotice error={session.error} what="the members" />;
  const members = await settle((await serverApi()).listMembers(session.value.me.workspace.id));
  if (!members.ok) return <ApiErrorNotice error={members.error} what="the members" />;
  return <Members initialMembers={members.value.items} />;
}
