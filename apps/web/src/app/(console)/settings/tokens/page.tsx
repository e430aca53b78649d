import type { Metadata } from 'next';
import { ApiErrorNotice } from '../../../../components/api-error-notice';
import { settle } from '../../../../lib/api';
import { getSession, serverApi } from '../../../../lib/session';
import { ApiTokens } from './api-tokens';

export const metadata: Metadata = { title: 'API tokens' };

export default async function ApiTokensPage() {
  const session = await getSession();
  if (!session.ok) return <ApiErrorNotice error={session.error} what="the API tokens" />;
  const tokens = await settle((await serverApi()).listApiTokens({ limit: 50 }));
  if (!tokens.ok) return <ApiErrorNotice error={tokens.error} what="the API tokens" />;
  const { scopes } = session.value.me.credential;
  // Admins list and revoke every token of the workspace; everyone else only their own.
  return <ApiTokens firstPage={tokens.value} grantableScopes={scopes} seesAllTokens={scopes.includes('admin')} />;
}
