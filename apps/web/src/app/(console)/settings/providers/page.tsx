import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../../components/api-error-notice';
import { settle } from '../../../../lib/api';
import { getSession, serverApi } from '../../../../lib/session';
import { Providers } from './providers';

export const metadata: Metadata = { title: 'Cloud providers' };

export default async function ProvidersPage() {
  const session = await getSession();
  if (!session.ok) return <ApiErrorNotice error={session.error} what="the cloud providers" />;
  const providers = await settle((await serverApi()).listProviders());
  if (!providers.ok) return <ApiErrorNotice error={providers.error} what="the cloud providers" />;
  return <Providers initialProviders={providers.value.items} />;
}
