/** Deploy configs in the console: following them live, and reading one's own writes. */
import type {
  DeployConfigCreated,
  DeployConfigUpdated,
  DeployConfigView,
  EventData,
  EventEnvelope,
} from '@platform/contracts';
import { ApiRequestError, type ApiClient } from './api';

/**
 * Applies a deploy config event to a list: the events carry the whole config, so the list follows what
 * anyone changes without asking the API again.
 */
export function applyDeployConfigEvent(
  items: readonly DeployConfigView[],
  event: EventEnvelope,
): readonly DeployConfigView[] {
  switch (event.type) {
    case 'DeployConfigCreated': {
      const { deployConfigId, fields } = event.data as EventData<typeof DeployConfigCreated>;
      if (items.some((item) => item.id === deployConfigId)) return items;
      const created: DeployConfigView = {
        ...fields,
        id: deployConfigId,
        version: event.streamVersion,
        createdAt: event.occurredAt,
        updatedAt: event.occurredAt,
      };
      return [created, ...items];
    }
    case 'DeployConfigUpdated': {
      const { deployConfigId, fields } = event.data as EventData<typeof DeployConfigUpdated>;
      return items.map((item) =>
        item.id === deployConfigId && item.version < event.streamVersion
          ? {
              ...fields,
              id: item.id,
              createdAt: item.createdAt,
              version: event.streamVersion,
              updatedAt: event.occurredAt,
            }
          : item,
      );
    }
    case 'DeployConfigDeleted': {
      const { deployConfigId } = event.data as { deployConfigId: string };
      return items.filter((item) => item.id !== deployConfigId);
    }
    default:
      return items;
  }
}

/**
 * Commands are answered once queued (202); the read model catches up moments later. This waits until the
 * API shows the change (`isDone` of the config, or of undefined once it is gone), so the page the person
 * goes to next shows it too. False when it took longer than `timeoutMs`.
 */
export async function waitForDeployConfig(
  api: ApiClient,
  id: string,
  isDone: (config: DeployConfigView | undefined) => boolean,
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let config: DeployConfigView | undefined;
    try {
      config = await api.getDeployConfig(id);
    } catch (error) {
      if (!(error instanceof ApiRequestError && error.code === 'not_found')) throw error;
    }
    if (isDone(config)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
