import type { Metadata } from 'next';
import { ActivityFeed } from '../../../components/activity-feed';
import { PageHeader } from '../../../components/page-header';
import { settle } from '../../../lib/api';
import { getSession, serverApi } from '../../../lib/session';

export const metadata: Metadata = { title: 'Activity' };

export default async function ActivityPage() {
  const session = await getSession();
  // Events name their actor by user id; the members list turns ids into emails (a failure only costs the names).
  const members = session.ok ? await settle((await serverApi()).listMembers(session.value.me.workspace.id)) : undefined;
  const actors = members?.ok
    ? Object.fromEntries(members.value.items.map((member) => [member.userId, member.email]))
    : {};
  return (
    <>
      <PageHeader
        title="Activity"
        description="Every event of this workspace, live as it happens. It resumes where it left off after a reload or a lost connection."
      />
      <section className="card">
        <ActivityFeed actors={actors} />
      </section>
    </>
  );
}
