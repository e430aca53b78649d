import type { CommandHandled } from '@platform/bus';
import { describeIssues, type CommandEnvelope, type EventDefinition, type MessageMetadata } from '@platform/contracts';
import { foldEvents, type Decider, type Message } from '@platform/decider';
import { StreamVersionConflictError, type EventStore, type StoredEvent } from '@platform/event-store';
import { eventIdFor } from './event-ids';
import { withCorrelation } from './logging';

export interface DeciderCommandHandlerOptions<Command extends Message, Event extends Message, State> {
  readonly store: EventStore;
  readonly decider: Decider<Command, Event, State>;
  /** The stream a command acts on, e.g. `deployConfig-<id>`. */
  readonly streamIdOf: (command: Command) => string;
  /** The contracts of the events the decider may emit: an event breaking its schema is never stored. */
  readonly events: readonly EventDefinition[];
  /** Clock, injected so that tests can fix the time. */
  readonly now?: () => Date;
  /** How often a decision is retried when another writer moved the stream in between. */
  readonly conflictRetries?: number;
}

/**
 * Loads a command's stream, runs the decider and appends what it decided with the version it read. Handling
 * the same command again (a redelivery) changes nothing: the events it produced carry ids derived from the
 * command id, and a stream that already holds them answers with them.
 */
export class DeciderCommandHandler<Command extends Message, Event extends Message, State> {
  private readonly eventDefinitions: Map<string, EventDefinition>;

  constructor(private readonly options: DeciderCommandHandlerOptions<Command, Event, State>) {
    this.eventDefinitions = new Map(options.events.map((definition) => [definition.type, definition]));
  }

  /** `streamId` names the stream for commands whose data does not (a process manager's reports). */
  handle(envelope: CommandEnvelope, streamId?: string): Promise<CommandHandled> {
    return withCorrelation({ correlationId: envelope.metadata.correlationId, commandId: envelope.commandId }, () =>
      this.decideAndAppend(envelope, streamId),
    );
  }

  /** A stream's state as the decider folds it, and its events: how a process manager reads where it is. */
  async load(streamId: string): Promise<{ state: State; events: StoredEvent[] }> {
    const { events } = await this.options.store.readStream(streamId);
    return {
      state: foldEvents(
        this.options.decider,
        events.map((event) => ({ type: event.type, data: event.data }) as Event),
      ),
      events,
    };
  }

  /**
   * A process manager reporting a step as a command of its own; `commandId` (derived from the step) makes a
   * report repeated after a crash change nothing.
   */
  record(metadata: MessageMetadata, commandId: string, command: Command, streamId?: string): Promise<CommandHandled> {
    return this.handle(
      {
        commandId,
        type: command.type,
        schemaVersion: 1,
        data: command.data,
        metadata,
        issuedAt: new Date().toISOString(),
      },
      streamId,
    );
  }

  private async decideAndAppend(envelope: CommandEnvelope, knownStreamId: string | undefined): Promise<CommandHandled> {
    const { store, decider } = this.options;
    const command = { type: envelope.type, data: envelope.data } as Command;
    const streamId = knownStreamId ?? this.options.streamIdOf(command);
    const retries = this.options.conflictRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const { events: stored, version } = await store.readStream(streamId);
      const earlier = stored.filter((event) => event.metadata.commandId === envelope.commandId);
      if (earlier.length > 0) {
        return { eventIds: earlier.map((event) => event.eventId), eventTypes: earlier.map((event) => event.type) };
      }

      const state = foldEvents(
        decider,
        stored.map((event) => ({ type: event.type, data: event.data }) as Event),
      );
      const decided = decider.decide(command, state, {
        metadata: envelope.metadata,
        now: this.options.now?.() ?? new Date(),
      });
      if (decided.length === 0) return { eventIds: [], eventTypes: [] };

      const metadata = { ...envelope.metadata, commandId: envelope.commandId, causationId: envelope.commandId };
      const newEvents = decided.map((event, index) => ({
        eventId: eventIdFor(envelope.commandId, index),
        type: event.type,
        schemaVersion: this.definitionOf(event).schemaVersion,
        data: this.checked(event),
        metadata,
      }));
      try {
        const appended = await store.append(streamId, newEvents, {
          expectedVersion: version === 0 ? 'no_stream' : version,
        });
        return { eventIds: appended.eventIds, eventTypes: newEvents.map((event) => event.type) };
      } catch (error) {
        if (!(error instanceof StreamVersionConflictError) || attempt >= retries) throw error;
      }
    }
  }

  private definitionOf(event: Event): EventDefinition {
    const definition = this.eventDefinitions.get(event.type);
    if (!definition) throw new Error(`event type ${event.type} has no contract in this handler's events`);
    return definition;
  }

  private checked(event: Event): unknown {
    const result = this.definitionOf(event).data.safeParse(event.data);
    if (!result.success) {
      // A bug, not a refusal: failing loudly sends the command to the dead letters after its retries.
      throw new Error(`decided ${event.type} breaks its contract: ${JSON.stringify(describeIssues(result.error))}`);
    }
    return result.data;
  }
}

/** A process manager's steps act as `actorId`, in the workspace and under the correlation id of the event that began the work. */
export function stepMetadata(began: StoredEvent | undefined, actorId: string): MessageMetadata | undefined {
  return began && { workspaceId: began.metadata.workspaceId, actorId, correlationId: began.metadata.correlationId };
}
