import type { CommandDefinition, EventDefinition, QueryDefinition } from './definitions';

/**
 * NATS subject names. The optional prefix namespaces a whole environment (each integration test gets its
 * own), so `cmd.deployments.CreateDeployConfig` becomes `t1a2b.cmd.deployments.CreateDeployConfig`.
 */
export class Subjects {
  constructor(readonly prefix = '') {
    if (prefix && !/^[A-Za-z0-9_-]+$/.test(prefix)) {
      throw new Error(`subject prefix "${prefix}" may hold only letters, digits, "_" and "-"`);
    }
  }

  private scoped(subject: string): string {
    return this.prefix ? `${this.prefix}.${subject}` : subject;
  }

  /** JetStream stream names for this environment (COMMANDS, EVENTS, DEADLETTERS). */
  stream(name: 'COMMANDS' | 'EVENTS' | 'DEADLETTERS'): string {
    return this.prefix ? `${this.prefix}_${name}` : name;
  }

  commands(): string {
    return this.scoped('cmd.>');
  }
  commandsOf(context: string): string {
    return this.scoped(`cmd.${context}.>`);
  }
  command(def: Pick<CommandDefinition, 'context' | 'type'>): string {
    return this.scoped(`cmd.${def.context}.${def.type}`);
  }

  events(): string {
    return this.scoped('evt.>');
  }
  eventsOf(context: string): string {
    return this.scoped(`evt.${context}.>`);
  }
  event(def: Pick<EventDefinition, 'context' | 'type'>): string {
    return this.scoped(`evt.${def.context}.${def.type}`);
  }

  query(def: Pick<QueryDefinition, 'context' | 'name'>): string {
    return this.scoped(`qry.${def.context}.${def.name}`);
  }

  deadLetters(): string {
    return this.scoped('dlq.>');
  }
  /** Where a message that could not be handled goes, keyed by the subject it came from. */
  deadLetter(originalSubject: string): string {
    const unscoped = this.prefix ? originalSubject.slice(this.prefix.length + 1) : originalSubject;
    return this.scoped(`dlq.${unscoped}`);
  }

  /** Core NATS notices that a user's credentials or memberships changed, so every gateway forgets its cache. */
  identityChanges(): string {
    return this.scoped('ntf.identity.users-changed');
  }

  /** Core NATS subject on which a command's outcome is announced to whoever waits for it. */
  commandOutcome(commandId: string): string {
    return this.scoped(`out.${commandId}`);
  }
  /** Every command's outcome, for one subscription that serves all the commands a gateway waits for. */
  commandOutcomes(): string {
    return this.scoped('out.*');
  }

  /** Core NATS notices, after a read model of the context committed, of the commands whose events it applied. */
  readModelApplied(context: string): string {
    return this.scoped(`ntf.applied.${context}`);
  }
  readModelsApplied(): string {
    return this.scoped('ntf.applied.*');
  }
}
