import type { Metadata } from 'next';
import { ActivityFeed } from '../../../components/activity-feed';
import { ApiErrorNotice } from '../../../components/api-error-notice';
import { PageHeader } from '../../../components/page-header';
import type { EventFilter } from '../../../lib/activity';
import { settle } from '../../../lib/api';
import { getSession, serverApi } from '../../../lib/session';

export const metadata: Metadata = { title: 'Activity' };

/** One value of a search parameter, or none when it is absent or empty. */
function single(value: string | string[] | undefined): string | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text || undefined;
}

export default async function ActivityPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const filter: EventFilter = {
    types: single(params.type)
      ?.split(',')
      .map((type) => type.trim())
      .filter(Boolean),
    actor: single(params.actor),
    resourceId: single(params.resource),
  };
  const session = await getSession();
  const api = await serverApi();
  // Events name their actor by user id; the members list turns ids into emails (a failure only costs the names).
  const [members, past] = session.ok
    ? await Promise.all([
        settle(api.listMembers(session.value.me.workspace.id)),
        settle(
          api.listEventHistory({
            types: filter.types?.join(','),
            actor: filter.actor,
            resourceId: filter.resourceId,
            limit: 50,
          }),
        ),
      ])
    : [undefined, undefined];
  const memberList = members?.ok ? members.value.items : [];
  const actors = Object.fromEntries(memberList.map((member) => [member.userId, member.email]));
  return (
    <>
      <PageHeader
        title="Activity"
        description="Every event of this workspace: what happened before you came, then live as it happens."
      />
      <section className="card">
        <form className="filters" method="get" aria-label="Filter activity">
          <label>
            Event type
            <input name="type" defaultValue={params.type ?? ''} placeholder="DeploymentSucceeded" />
          </label>
          <label>
            By
            <select name="actor" defaultValue={filter.actor ?? ''}>
              <option value="">anyone</option>
              {memberList.map((member) => (
                <option key={member.userId} value={member.userId}>
                  {member.email}
                </option>
              ))}
            </select>
          </label>
          <label>
            Resource id
            <input
              name="resource"
              defaultValue={filter.resourceId ?? ''}
              placeholder="a deployment, service or server id"
            />
          </label>
          <button type="submit" className="button small">
            Filter
          </button>
        </form>
        {past && !past.ok ? (
          <ApiErrorNotice error={past.error} what="past events" />
        ) : (
          <ActivityFeed
            // A new filter starts a new list: the older pages loaded for the previous one do not apply.
            key={JSON.stringify(filter)}
            actors={actors}
            filter={filter}
            past={past?.ok ? past.value : undefined}
          />
        )}
      </section>
    </>
  );
}
