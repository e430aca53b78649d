import type { Subscription } from '@nats-io/transport-node';
import {
  CommandOutcomeSchema,
  ReadModelAppliedSchema,
  type CommandOutcome,
  type ErrorBody,
  type ReadModelApplied,
} from '@platform/contracts';
import { decodeMessage } from './json';
import type { BusResources, Stoppable } from './resources';

/**
 * Where a command stands when its caller stops waiting: `applied` (its events are in every read model that reads
 * them, or it produced none), `refused` (its handler said no, and why), or `pending` (the wait ended first).
 */
export type CommandSettlement =
  { readonly progress: 'applied' | 'pending' } | { readonly progress: 'refused'; readonly error: ErrorBody };

/** One caller's wait for one command, made before the command is sent so that no notice can slip past it. */
export interface CommandWait {
  /** Resolves when the command is applied or refused, or with `pending` after `timeoutMs`. */
  settled(timeoutMs: number): Promise<CommandSettlement>;
  /** For a caller that will not wait after all (sending the command failed). */
  cancel(): void;
}

/**
 * Follows every command's outcome and every read model's "applied" notice for the callers waiting on them, with
 * one subscription to each for the whole process rather than one per command. A command is applied once its
 * outcome came and each read model the outcome names announced it; either may come first.
 */
export class AppliedCommands {
  private readonly waits = new Map<string, PendingCommand[]>();

  expect(commandId: string): CommandWait {
    const pending = new PendingCommand(commandId, (done) => this.forget(done));
    const waits = this.waits.get(commandId);
    if (waits) waits.push(pending);
    else this.waits.set(commandId, [pending]);
    return pending;
  }

  outcome(outcome: CommandOutcome): void {
    for (const pending of this.waits.get(outcome.commandId) ?? []) pending.outcomeCame(outcome);
  }

  applied(notice: ReadModelApplied): void {
    for (const commandId of notice.commandIds) {
      for (const pending of this.waits.get(commandId) ?? []) pending.readModelApplied(notice.readModel);
    }
  }

  /** Commands waited for right now. */
  get size(): number {
    return this.waits.size;
  }

  private forget(done: PendingCommand): void {
    const remaining = (this.waits.get(done.commandId) ?? []).filter((pending) => pending !== done);
    if (remaining.length > 0) this.waits.set(done.commandId, remaining);
    else this.waits.delete(done.commandId);
  }
}

class PendingCommand implements CommandWait {
  private outcome?: CommandOutcome;
  private readonly appliedBy = new Set<string>();
  private finish?: (settlement: CommandSettlement) => void;
  private settlement?: CommandSettlement;

  constructor(
    readonly commandId: string,
    private readonly forget: (pending: PendingCommand) => void,
  ) {}

  outcomeCame(outcome: CommandOutcome): void {
    this.outcome = outcome;
    this.check();
  }

  readModelApplied(readModel: string): void {
    this.appliedBy.add(readModel);
    this.check();
  }

  settled(timeoutMs: number): Promise<CommandSettlement> {
    if (this.settlement) return Promise.resolve(this.settlement);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle({ progress: 'pending' }), timeoutMs);
      this.finish = (settlement) => {
        clearTimeout(timer);
        resolve(settlement);
      };
    });
  }

  cancel(): void {
    this.settle({ progress: 'pending' });
  }

  private check(): void {
    if (!this.outcome) return;
    if (!this.outcome.ok) this.settle({ progress: 'refused', error: this.outcome.error });
    else if ((this.outcome.readModels ?? []).every((readModel) => this.appliedBy.has(readModel)))
      this.settle({ progress: 'applied' });
  }

  private settle(settlement: CommandSettlement): void {
    if (this.settlement) return;
    this.settlement = settlement;
    this.forget(this);
    this.finish?.(settlement);
  }
}

/** AppliedCommands fed by this bus's subscriptions to command outcomes and read models' notices. */
export class AppliedCommandsFeed implements Stoppable {
  readonly commands = new AppliedCommands();
  private readonly subscriptions: Subscription[];

  constructor(resources: BusResources) {
    const { connection, subjects, logger } = resources;
    this.subscriptions = [
      connection.subscribe(subjects.commandOutcomes(), {
        callback: (error, msg) => {
          if (error) return;
          const decoded = decodeMessage(CommandOutcomeSchema, msg.data, 'command outcome');
          if (decoded.ok) this.commands.outcome(decoded.value);
          else logger.warn({ subject: msg.subject, reason: decoded.reason }, 'ignored a command outcome');
        },
      }),
      connection.subscribe(subjects.readModelsApplied(), {
        callback: (error, msg) => {
          if (error) return;
          const decoded = decodeMessage(ReadModelAppliedSchema, msg.data, 'read model notice');
          if (decoded.ok) this.commands.applied(decoded.value);
          else logger.warn({ subject: msg.subject, reason: decoded.reason }, 'ignored a read model notice');
        },
      }),
    ];
  }

  async stop(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  whenStopped(): Promise<void> {
    return Promise.all(this.subscriptions.map((subscription) => subscription.closed)).then(() => undefined);
  }
}
