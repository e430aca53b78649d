import { randomUUID } from 'node:crypto';
import { DomainError, type WebhookFields } from '@platform/contracts';
import { deciderSpecification } from '@platform/decider';
import { webhookEndpointDecider } from './decider';

const metadata = { workspaceId: 'ws_a', actorId: 'user_1', correlationId: 'c1' };
const now = new Date('2026-12-06T12:00:00Z');
const spec = deciderSpecification(webhookEndpointDecider, { metadata, now });
const otherWorkspace = deciderSpecification(webhookEndpointDecider, {
  metadata: { ...metadata, workspaceId: 'ws_b' },
  now,
});

const endpointId = randomUUID();
const fields: WebhookFields = {
  url: 'https://hooks.example.com/platform',
  eventTypes: ['DeploymentSucceeded', 'DeploymentFailed'],
  description: 'chat',
};
const created = {
  type: 'WebhookEndpointCreated' as const,
  data: { endpointId, workspaceId: 'ws_a', fields, sealedSecret: 'v1:k:iv:one:tag' },
};
const disabled = {
  type: 'WebhookEndpointDisabled' as const,
  data: { endpointId, workspaceId: 'ws_a', url: fields.url, reason: 'gone' as const, detail: 'answered 410' },
};

const expectCode = (code: string) => (error: unknown) => {
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
};

describe('webhook endpoint decider', () => {
  it('creates an endpoint in the caller workspace, and only once', () => {
    const create = {
      type: 'CreateWebhookEndpoint' as const,
      data: { endpointId, fields, sealedSecret: 'v1:k:iv:one:tag' },
    };
    spec.given([]).when(create).then([created]);
    spec.given([created]).when(create).thenThrows(expectCode('conflict'));
  });

  it('updates the fields it is given and keeps the others; nothing when nothing changes', () => {
    spec
      .given([created])
      .when({ type: 'UpdateWebhookEndpoint', data: { endpointId, changes: { description: 'alerts' } } })
      .then([
        {
          type: 'WebhookEndpointUpdated',
          data: { endpointId, workspaceId: 'ws_a', fields: { ...fields, description: 'alerts' }, enabled: true },
        },
      ]);
    spec
      .given([created])
      .when({ type: 'UpdateWebhookEndpoint', data: { endpointId, changes: { url: fields.url, enabled: true } } })
      .thenNothingHappens();
  });

  it('keeps the previous secret valid for 24 hours after a rotation', () => {
    spec
      .given([created])
      .when({ type: 'RotateWebhookSecret', data: { endpointId, sealedSecret: 'v1:k:iv:two:tag' } })
      .then([
        {
          type: 'WebhookSecretRotated',
          data: {
            endpointId,
            workspaceId: 'ws_a',
            sealedSecret: 'v1:k:iv:two:tag',
            previousValidUntil: '2026-12-07T12:00:00.000Z',
          },
        },
      ]);
  });

  it('disables an enabled endpoint once, naming its URL and why; enabling it again is an update', () => {
    const disable = {
      type: 'DisableWebhookEndpoint' as const,
      data: { endpointId, reason: 'gone' as const, detail: 'answered 410' },
    };
    spec.given([created]).when(disable).then([disabled]);
    spec.given([created, disabled]).when(disable).thenNothingHappens();
    spec
      .given([created, disabled])
      .when({ type: 'UpdateWebhookEndpoint', data: { endpointId, changes: { enabled: true } } })
      .then([{ type: 'WebhookEndpointUpdated', data: { endpointId, workspaceId: 'ws_a', fields, enabled: true } }]);
  });

  it('deletes once; afterwards the endpoint is not found', () => {
    const remove = { type: 'DeleteWebhookEndpoint' as const, data: { endpointId } };
    const deleted = { type: 'WebhookEndpointDeleted' as const, data: { endpointId, workspaceId: 'ws_a' } };
    spec.given([created]).when(remove).then([deleted]);
    spec.given([created, deleted]).when(remove).thenThrows(expectCode('not_found'));
  });

  it("answers another workspace's endpoint as one that does not exist", () => {
    otherWorkspace
      .given([created])
      .when({ type: 'RotateWebhookSecret', data: { endpointId, sealedSecret: 'v1:k:iv:two:tag' } })
      .thenThrows(expectCode('not_found'));
    otherWorkspace
      .given([created])
      .when({ type: 'DeleteWebhookEndpoint', data: { endpointId } })
      .thenThrows(expectCode('not_found'));
  });
});
