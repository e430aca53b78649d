'use client';

import type { CredentialProvider, ProviderView } from '@platform/contracts';
import Link from 'next/link';
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ConfirmButton } from '../../../../components/confirm-button';
import { formText, TextField, useFocusOnFieldErrors } from '../../../../components/fields';
import { useEventListener } from '../../../../components/live-events';
import { useFailureReporter, useSession } from '../../../../components/session-context';
import { TimeAgo } from '../../../../components/time-ago';
import { useToast } from '../../../../components/toasts';
import { ApiRequestError, issuesByField } from '../../../../lib/api';
import { sentence } from '../../../../lib/format';
import { applyProviderEvent, isProviderEvent, providerInfo, sortProviders } from '../../../../lib/providers';

export function Providers({ initialProviders }: { initialProviders: readonly ProviderView[] }) {
  const { can } = useSession();
  const [providers, setProviders] = useState<readonly ProviderView[]>(() => sortProviders(initialProviders));
  // Another tab, or another admin, connects or disconnects a provider: this page follows.
  useEventListener((event) => {
    if (isProviderEvent(event)) setProviders((current) => applyProviderEvent(current, event));
  });

  const mayChange = can('saveProviderCredentials');
  const replace = (view: ProviderView) =>
    setProviders((current) => current.map((item) => (item.provider === view.provider ? view : item)));

  return (
    <div className="stack">
      {!mayChange && (
        <p className="muted" role="note">
          Your role can see which providers are connected. An owner or admin saves and removes their tokens.
        </p>
      )}
      {providers.map((provider) => (
        <ProviderCard key={provider.provider} provider={provider} mayChange={mayChange} onChange={replace} />
      ))}
    </div>
  );
}

function ProviderCard({
  provider,
  mayChange,
  onChange,
}: {
  provider: ProviderView;
  mayChange: boolean;
  onChange: (view: ProviderView) => void;
}) {
  const { api } = useSession();
  const toast = useToast();
  const info = providerInfo[provider.provider];
  const titleId = `provider-${provider.provider}`;
  const takesToken = provider.provider !== 'local';

  async function disconnect(name: CredentialProvider) {
    const view = await api.removeProviderCredentials(name);
    onChange(view);
    toast.success(`${info.title} disconnected: its token is forgotten.`);
  }

  return (
    <section className="card" aria-labelledby={titleId} data-provider={provider.provider}>
      <div className="card-header">
        <div>
          <h2 id={titleId}>{info.title}</h2>
          <p>{info.gives}</p>
        </div>
        {takesToken ? (
          <span
            className={`badge ${provider.connected ? 'success' : 'warning'}`}
            aria-label={`${info.title}: ${provider.connected ? 'connected' : 'not connected'}`}
          >
            {provider.connected ? 'connected' : 'not connected'}
          </span>
        ) : (
          <span className="badge success">always available</span>
        )}
      </div>
      {takesToken && (
        <div className="card-body stack">
          <dl className="definition">
            <dt>Used for</dt>
            <dd>{provider.purpose === 'dns' ? 'DNS and certificates' : 'Servers and snapshots'}</dd>
            <dt>Account</dt>
            <dd data-field="account">{provider.account ?? <span className="muted">none: no token saved</span>}</dd>
            <dt>Verified</dt>
            <dd>
              {provider.verifiedAt ? <TimeAgo iso={provider.verifiedAt} /> : <span className="muted">never</span>}
            </dd>
          </dl>
          {mayChange ? (
            <TokenForm
              provider={provider}
              onSaved={onChange}
              disconnect={
                provider.connected && (
                  <ConfirmButton
                    label="Disconnect"
                    accessibleLabel={`Disconnect ${info.title}`}
                    className="button danger"
                    title={`Disconnect ${info.title}?`}
                    description={`The saved token is forgotten: the platform can no longer create or delete anything in this ${info.title} account. The API refuses while servers still run there; delete them first.`}
                    confirmLabel="Disconnect"
                    onConfirm={() => disconnect(provider.provider as CredentialProvider)}
                  />
                )
              }
            />
          ) : (
            !provider.connected && (
              <p className="muted">An owner or admin of this workspace can connect {info.title} here.</p>
            )
          )}
        </div>
      )}
    </section>
  );
}

/**
 * The token is typed into a password field and sent once: it is never shown again, and the field is emptied as
 * soon as the provider has accepted it (the form is uncontrolled, so the token never sits in the page's state).
 */
function TokenForm({
  provider,
  onSaved,
  disconnect,
}: {
  provider: ProviderView;
  onSaved: (view: ProviderView) => void;
  disconnect: ReactNode;
}) {
  const { api } = useSession();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const info = providerInfo[provider.provider];
  const form = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  const [verified, setVerified] = useState<string>();
  useFocusOnFieldErrors(form, errors);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const target = event.currentTarget;
    const token = formText(new FormData(target), 'token').trim();
    setErrors({});
    setVerified(undefined);
    if (!token) {
      setErrors({ token: `paste the ${info.title} API token first` });
      return;
    }
    setPending(true);
    try {
      const view = await api.saveProviderCredentials(provider.provider as CredentialProvider, { token });
      target.reset();
      onSaved(view);
      const who = view.account ? ` as ${view.account}` : '';
      setVerified(`${info.title} accepted the token${who}. It is stored encrypted and never shown again.`);
      toast.success(`${info.title} connected${who}.`);
    } catch (error) {
      if (error instanceof ApiRequestError && error.code === 'validation_failed') {
        // The provider refused the token, or it is not shaped like one: said under the field.
        setErrors({ token: issuesByField(error.fieldIssues).token ?? sentence(error.message) });
      } else reportFailure(error);
    } finally {
      setPending(false);
    }
  }

  return (
    <form
      ref={form}
      className="form token-form"
      onSubmit={(event) => void save(event)}
      noValidate
      aria-label={`${info.title} token`}
    >
      <TextField
        label={`${info.title} API token`}
        name="token"
        type="password"
        autoComplete="off"
        spellCheck={false}
        required
        maxLength={512}
        error={errors.token}
        hint={
          <>
            {provider.connected ? 'Saving a new token replaces the current one. ' : ''}
            {info.tokenHelp} It is verified with {info.title} before it is saved.
          </>
        }
      />
      {/* Said until the provider is disconnected (here or elsewhere). */}
      {verified && provider.connected && (
        <p className="form-success" role="status">
          ✓ {verified}
        </p>
      )}
      <div className="form-actions start">
        <button type="submit" className="button primary" disabled={pending}>
          {pending ? `Verifying with ${info.title}…` : provider.connected ? 'Replace token' : 'Save token'}
        </button>
        {provider.provider === 'digitalocean' && provider.connected && (
          <Link className="button" href="/infrastructure#snapshots">
            Snapshots and servers →
          </Link>
        )}
        {disconnect}
      </div>
    </form>
  );
}
