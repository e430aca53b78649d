import { PUBLIC_EVENT_FIELDS } from '@platform/contracts';
import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../../components/api-error-notice';
import { settle } from '../../../../lib/api';
import { getSession, serverApi } from '../../../../lib/session';
import { Webhooks } from './webhooks';

export const metadata: Metadata = { title: 'Webhooks' };

export default async function WebhooksPage() {
  const session = await getSession();
  if (!session.ok) return <ApiErrorNotice error={session.error} what="the webhooks" />;
  const webhooks = await settle((await serverApi()).listWebhooks({ limit: 50 }));
  if (!webhooks.ok) return <ApiErrorNotice error={webhooks.error} what="the webhooks" />;
  // The event types an endpoint may choose: those whose public shape is decided (read here, on the server, so the
  // contracts stay out of the browser's bundle).
  const eventTypes = Object.keys(PUBLIC_EVENT_FIELDS).sort();
  return (
    <Webhooks
      firstPage={webhooks.value}
      eventTypes={eventTypes}
      canManage={session.value.me.credential.scopes.includes('admin')}
    />
  );
}
