import type { Metadata } from 'next';
import Link from 'next/link';
import { ActivityFeed } from '../../components/activity-feed';
import { PageHeader } from '../../components/page-header';
import { getSession } from '../../lib/session';

export const metadata: Metadata = { title: 'Overview' };

const steps = [
  {
    title: 'Save a deploy config',
    text: 'The image or repository of a service and the servers it runs on, saved to deploy again in one click.',
    href: '/deploy-configs/new',
    action: 'New deploy config',
  },
  {
    title: 'Invite your team',
    text: 'Add people who have signed up, as admins, members or read-only viewers.',
    href: '/settings/members',
    action: 'Members',
  },
  {
    title: 'Create an API token',
    text: 'For CI and scripts: a token with only the scopes the job needs.',
    href: '/settings/tokens',
    action: 'API tokens',
  },
  {
    title: 'Provision a server',
    text: 'On this machine, or on DigitalOcean once its token is saved under Settings → Cloud providers.',
    href: '/infrastructure',
    action: 'Servers',
  },
] as const;

export default async function OverviewPage() {
  const session = await getSession();
  const workspaceName = session.ok ? session.value.me.workspace.name : 'your workspace';
  return (
    <>
      <PageHeader title={workspaceName} description="Where things stand, and what to do next." />
      <div className="grid-2">
        <section className="card" aria-labelledby="getting-started">
          <div className="card-header">
            <h2 id="getting-started">Getting started</h2>
          </div>
          <ol className="feed">
            {steps.map((step) => (
              <li key={step.title}>
                <span className="event-title">{step.title}</span>
                <Link href={step.href}>{step.action} →</Link>
                <span className="event-meta">{step.text}</span>
              </li>
            ))}
          </ol>
        </section>
        <section className="card" aria-labelledby="recent-activity">
          <div className="card-header">
            <h2 id="recent-activity">Recent activity</h2>
            <Link href="/activity">All activity →</Link>
          </div>
          <ActivityFeed limit={6} />
        </section>
      </div>
    </>
  );
}
