import {
  DomainError,
  type CommandOf,
  type CreateWebhookEndpoint,
  type DeleteWebhookEndpoint,
  type DisableWebhookEndpoint,
  type EventOf,
  type RotateWebhookSecret,
  type UpdateWebhookEndpoint,
  type WebhookEndpointCreated,
  type WebhookEndpointDeleted,
  type WebhookEndpointDisabled,
  type WebhookEndpointUpdated,
  type WebhookFields,
  type WebhookSecretRotated,
} from '@platform/contracts';
import type { DecisionContext, Decider } from '@platform/decider';
import { isDeepStrictEqual } from 'node:util';

export type WebhookEndpointCommand =
  | CommandOf<typeof CreateWebhookEndpoint>
  | CommandOf<typeof UpdateWebhookEndpoint>
  | CommandOf<typeof DeleteWebhookEndpoint>
  | CommandOf<typeof RotateWebhookSecret>
  | CommandOf<typeof DisableWebhookEndpoint>;

export type WebhookEndpointEvent =
  | EventOf<typeof WebhookEndpointCreated>
  | EventOf<typeof WebhookEndpointUpdated>
  | EventOf<typeof WebhookEndpointDeleted>
  | EventOf<typeof WebhookSecretRotated>
  | EventOf<typeof WebhookEndpointDisabled>;

export type WebhookEndpointState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active';
      readonly workspaceId: string;
      readonly fields: WebhookFields;
      readonly enabled: boolean;
    }
  | { readonly status: 'deleted'; readonly workspaceId: string };

/** How long the previous secret still signs deliveries after a rotation, so receivers can switch without a gap. */
export const PREVIOUS_SECRET_VALID_MS = 24 * 3_600_000;

export function webhookEndpointStreamId(endpointId: string): string {
  return `webhookEndpoint-${endpointId}`;
}

const notFound = (id: string) => new DomainError('not_found', `webhook ${id} does not exist`);

/** An endpoint of another workspace is answered exactly like one that does not exist. */
function ownedActive(state: WebhookEndpointState, id: string, { metadata }: DecisionContext) {
  if (state.status !== 'active' || state.workspaceId !== metadata.workspaceId) throw notFound(id);
  return state;
}

export const webhookEndpointDecider: Decider<WebhookEndpointCommand, WebhookEndpointEvent, WebhookEndpointState> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state, context) {
    const workspaceId = context.metadata.workspaceId;
    switch (command.type) {
      case 'CreateWebhookEndpoint': {
        const { endpointId, fields, sealedSecret } = command.data;
        if (state.status !== 'absent') {
          throw new DomainError('conflict', `webhook ${endpointId} exists already; choose another id`);
        }
        return [{ type: 'WebhookEndpointCreated', data: { endpointId, workspaceId, fields, sealedSecret } }];
      }
      case 'UpdateWebhookEndpoint': {
        const { endpointId, changes } = command.data;
        const current = ownedActive(state, endpointId, context);
        const { enabled = current.enabled, ...fieldChanges } = changes;
        const fields = { ...current.fields, ...fieldChanges };
        if (enabled === current.enabled && isDeepStrictEqual(fields, current.fields)) return [];
        return [{ type: 'WebhookEndpointUpdated', data: { endpointId, workspaceId, fields, enabled } }];
      }
      case 'DeleteWebhookEndpoint': {
        const { endpointId } = command.data;
        ownedActive(state, endpointId, context);
        return [{ type: 'WebhookEndpointDeleted', data: { endpointId, workspaceId } }];
      }
      case 'RotateWebhookSecret': {
        const { endpointId, sealedSecret } = command.data;
        ownedActive(state, endpointId, context);
        const previousValidUntil = new Date(context.now.getTime() + PREVIOUS_SECRET_VALID_MS).toISOString();
        return [{ type: 'WebhookSecretRotated', data: { endpointId, workspaceId, sealedSecret, previousValidUntil } }];
      }
      case 'DisableWebhookEndpoint': {
        const { endpointId, reason, detail } = command.data;
        const current = ownedActive(state, endpointId, context);
        // Disabled already (by a person or an earlier answer): nothing to say twice.
        if (!current.enabled) return [];
        return [
          {
            type: 'WebhookEndpointDisabled',
            data: { endpointId, workspaceId, url: current.fields.url, reason, detail },
          },
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'WebhookEndpointCreated':
        return { status: 'active', workspaceId: event.data.workspaceId, fields: event.data.fields, enabled: true };
      case 'WebhookEndpointUpdated':
        return {
          status: 'active',
          workspaceId: event.data.workspaceId,
          fields: event.data.fields,
          enabled: event.data.enabled,
        };
      case 'WebhookEndpointDisabled':
        return state.status === 'active' ? { ...state, enabled: false } : state;
      case 'WebhookSecretRotated':
        return state;
      case 'WebhookEndpointDeleted':
        return { status: 'deleted', workspaceId: event.data.workspaceId };
    }
  },
};
