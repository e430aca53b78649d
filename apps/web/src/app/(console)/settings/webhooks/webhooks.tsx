'use client';

import type { WebhookDeliveryView, WebhookView } from '@platform/contracts';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ConfirmButton } from '../../../../components/confirm-button';
import { CopyButton } from '../../../../components/copy-button';
import { DataTable, type Column } from '../../../../components/data-table';
import { Dialog } from '../../../../components/dialog';
import { EmptyState } from '../../../../components/empty-state';
import { formText, FormActions, TextField, useFocusOnFieldErrors } from '../../../../components/fields';
import { usePagedList } from '../../../../components/paged-list';
import { useFailureReporter, useSession } from '../../../../components/session-context';
import { TimeAgo } from '../../../../components/time-ago';
import { useToast } from '../../../../components/toasts';
import { ApiRequestError, issuesByField, type ApiResponse } from '../../../../lib/api';

const disabledBecause: Record<NonNullable<WebhookView['disabledReason']>, string> = {
  paused: 'paused',
  gone: 'disabled: answered 410',
  failing: 'disabled: failing for days',
};

const columns: readonly Column<WebhookView>[] = [
  {
    header: 'URL',
    cell: (webhook) => (
      <>
        <code>{webhook.url}</code>
        {webhook.description && <div className="muted">{webhook.description}</div>}
      </>
    ),
  },
  { header: 'Events', cell: (webhook) => webhook.eventTypes.join(', ') },
  {
    header: 'Status',
    cell: (webhook) =>
      webhook.enabled ? (
        <span className="badge success">enabled</span>
      ) : (
        <span className="badge danger">{disabledBecause[webhook.disabledReason ?? 'paused']}</span>
      ),
  },
  { header: 'Created', cell: (webhook) => <TimeAgo iso={webhook.createdAt} /> },
];

const deliveryColumns: readonly Column<WebhookDeliveryView>[] = [
  { header: 'Event', cell: (delivery) => delivery.eventType },
  {
    header: 'Status',
    cell: (delivery) => (
      <span
        className={`badge ${delivery.status === 'succeeded' ? 'success' : delivery.status === 'failed' ? 'danger' : 'warning'}`}
      >
        {delivery.status}
      </span>
    ),
  },
  { header: 'Attempts', cell: (delivery) => delivery.attempts },
  {
    header: 'Answer',
    cell: (delivery) => (
      <>
        {delivery.responseStatus ?? '—'}
        {delivery.latencyMs !== null && <span className="muted"> in {delivery.latencyMs} ms</span>}
        {(delivery.error ?? delivery.responseBody) && (
          <div className="muted">
            <code>{(delivery.error ?? delivery.responseBody ?? '').slice(0, 200)}</code>
          </div>
        )}
      </>
    ),
  },
  {
    header: 'When',
    cell: (delivery) => <TimeAgo iso={delivery.lastAttemptAt ?? delivery.createdAt} />,
  },
];

/** Settings → Webhooks: endpoints that receive the workspace's events, signed, with their delivery log. */
export function Webhooks(props: {
  firstPage: ApiResponse<'listWebhooks'>;
  eventTypes: readonly string[];
  canManage: boolean;
}) {
  const { api } = useSession();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const {
    items: webhooks,
    setItems: setWebhooks,
    paging,
  } = usePagedList<WebhookView>(props.firstPage, (cursor) => api.listWebhooks({ limit: 50, cursor }), reportFailure);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ title: string; value: string }>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  const [logOf, setLogOf] = useState<WebhookView>();
  const form = useRef<HTMLFormElement>(null);
  useFocusOnFieldErrors(form, errors);

  async function reload() {
    setWebhooks((await api.listWebhooks({ limit: 50 })).items);
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setPending(true);
    setErrors({});
    try {
      const created = await api.createWebhook({
        url: formText(data, 'url'),
        description: formText(data, 'description'),
        eventTypes: data.getAll('eventTypes').map(String),
      });
      setCreating(false);
      setSecret({ title: 'Copy the signing secret', value: created.secret });
      await reload();
      toast.success('Webhook created.');
    } catch (error) {
      if (error instanceof ApiRequestError && error.fieldIssues.length > 0) setErrors(issuesByField(error.fieldIssues));
      else reportFailure(error);
    } finally {
      setPending(false);
    }
  }

  async function rotate(webhook: WebhookView) {
    const rotated = await api.rotateWebhookSecret(webhook.id);
    setSecret({ title: 'Copy the new signing secret', value: rotated.secret });
    await reload();
  }

  async function sendTest(webhook: WebhookView) {
    try {
      await api.sendTestWebhook(webhook.id);
      toast.success(`A test event is on its way to ${webhook.url}; its delivery shows in the log.`);
    } catch (error) {
      reportFailure(error);
    }
  }

  async function setEnabled(webhook: WebhookView, enabled: boolean) {
    try {
      await api.updateWebhook(webhook.id, { enabled });
      await reload();
    } catch (error) {
      reportFailure(error);
    }
  }

  async function remove(webhook: WebhookView) {
    await api.deleteWebhook(webhook.id);
    setWebhooks((current) => current.filter((item) => item.id !== webhook.id));
    toast.success('Webhook deleted.');
  }

  return (
    <section className="card" aria-labelledby="webhooks-title">
      <div className="card-header">
        <div>
          <h2 id="webhooks-title">Webhooks</h2>
          <p>
            The workspace&apos;s events, POSTed to your endpoints as they happen and signed as{' '}
            <a href="https://www.standardwebhooks.com">Standard Webhooks</a> do; failed deliveries are retried for a
            day.
          </p>
        </div>
        {props.canManage && (
          <button
            type="button"
            className="button primary"
            onClick={() => {
              setErrors({});
              setCreating(true);
            }}
          >
            Add endpoint
          </button>
        )}
      </div>

      <DataTable
        label="Webhook endpoints"
        columns={columns}
        rows={webhooks}
        rowKey={(webhook) => webhook.id}
        rowAttributes={(webhook) => ({ 'data-webhook-id': webhook.id })}
        actions={(webhook) => (
          <div className="actions">
            <button type="button" className="button" onClick={() => setLogOf(webhook)}>
              Deliveries
            </button>
            {props.canManage && (
              <>
                <button type="button" className="button" onClick={() => void sendTest(webhook)}>
                  Send test
                </button>
                <button type="button" className="button" onClick={() => void setEnabled(webhook, !webhook.enabled)}>
                  {webhook.enabled ? 'Pause' : 'Enable'}
                </button>
                <ConfirmButton
                  label="Rotate secret"
                  accessibleLabel={`Rotate the secret of ${webhook.url}`}
                  title="Rotate the signing secret?"
                  description="A new secret is shown once. For 24 hours each delivery carries signatures by both, so your endpoint can switch without missing one."
                  confirmLabel="Rotate secret"
                  onConfirm={() => rotate(webhook)}
                />
                <ConfirmButton
                  label="Delete"
                  accessibleLabel={`Delete ${webhook.url}`}
                  title="Delete this webhook?"
                  description="Nothing more is sent to it, retries included."
                  confirmLabel="Delete webhook"
                  onConfirm={() => remove(webhook)}
                />
              </>
            )}
          </div>
        )}
        paging={paging}
        empty={
          <EmptyState icon="↗" title="No webhooks yet">
            <p>Add an endpoint to hear about deployments in chat, or to let CI wait for one.</p>
          </EmptyState>
        }
      />

      <Dialog open={creating} title="Add a webhook endpoint" onClose={() => setCreating(false)}>
        <form ref={form} className="form" onSubmit={(event) => void create(event)} noValidate>
          <TextField
            label="URL"
            name="url"
            type="url"
            required
            autoFocus
            placeholder="https://ci.example.com/hooks/platform"
            hint="https only; addresses inside private networks are refused."
            error={errors.url}
          />
          <TextField label="Description" name="description" maxLength={500} error={errors.description} />
          <fieldset className="field">
            <legend>Event types</legend>
            <div className="choice-row">
              {props.eventTypes.map((type) => (
                <label key={type} className="choice">
                  <input
                    type="checkbox"
                    name="eventTypes"
                    value={type}
                    defaultChecked={type === 'DeploymentSucceeded' || type === 'DeploymentFailed'}
                  />
                  {type}
                </label>
              ))}
            </div>
            {errors.eventTypes && <span className="error">{errors.eventTypes}</span>}
          </fieldset>
          <FormActions
            onCancel={() => setCreating(false)}
            pending={pending}
            submitLabel="Add endpoint"
            pendingLabel="Adding…"
          />
        </form>
      </Dialog>

      <Dialog open={secret !== undefined} title={secret?.title ?? ''} onClose={() => setSecret(undefined)}>
        {secret && (
          <>
            <p>
              This is the only time the secret is shown. Verify each delivery&apos;s <code>webhook-signature</code> with
              it (any Standard Webhooks library).
            </p>
            <div className="secret">
              <code aria-label="The signing secret">{secret.value}</code>
              <CopyButton text={secret.value} />
            </div>
            <div className="form-actions">
              <button type="button" className="button primary" autoFocus onClick={() => setSecret(undefined)}>
                Done
              </button>
            </div>
          </>
        )}
      </Dialog>

      <Dialog
        open={logOf !== undefined}
        title={`Deliveries to ${logOf?.url ?? ''}`}
        onClose={() => setLogOf(undefined)}
      >
        {logOf && <DeliveryLog webhook={logOf} canManage={props.canManage} />}
      </Dialog>
    </section>
  );
}

/** An endpoint's delivery log, newest first, with redelivery of one, or of every failed one of the last day. */
function DeliveryLog({ webhook, canManage }: { webhook: WebhookView; canManage: boolean }) {
  const { api } = useSession();
  const toast = useToast();
  const reportFailure = useFailureReporter();
  const [deliveries, setDeliveries] = useState<readonly WebhookDeliveryView[]>();

  const load = useCallback(async () => {
    try {
      setDeliveries((await api.listWebhookDeliveries(webhook.id, { limit: 50 })).items);
    } catch (error) {
      reportFailure(error);
    }
  }, [api, webhook.id, reportFailure]);

  useEffect(() => {
    void load();
  }, [load]);

  async function redeliver(which: { deliveryId: string } | { since: string }) {
    try {
      const { redelivered } =
        'deliveryId' in which
          ? await api.redeliverWebhookDelivery(webhook.id, which.deliveryId)
          : await api.redeliverWebhooks(webhook.id, which);
      toast.success(redelivered === 1 ? 'One delivery goes out again.' : `${redelivered} deliveries go out again.`);
      await load();
    } catch (error) {
      reportFailure(error);
    }
  }

  if (deliveries === undefined) return <p className="muted">Loading deliveries…</p>;
  return (
    <div className="stack">
      <div className="actions">
        <button type="button" className="button" onClick={() => void load()}>
          Refresh
        </button>
        {canManage && (
          <button
            type="button"
            className="button"
            onClick={() => void redeliver({ since: new Date(Date.now() - 86_400_000).toISOString() })}
          >
            Redeliver failed of the last 24 h
          </button>
        )}
      </div>
      <DataTable
        label="Deliveries"
        columns={deliveryColumns}
        rows={deliveries}
        rowKey={(delivery) => delivery.id}
        actions={
          canManage
            ? (delivery) => (
                <button type="button" className="button" onClick={() => void redeliver({ deliveryId: delivery.id })}>
                  Redeliver
                </button>
              )
            : undefined
        }
        empty={<p className="muted">Nothing delivered yet: send a test event.</p>}
      />
    </div>
  );
}
