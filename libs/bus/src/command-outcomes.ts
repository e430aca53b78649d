import { TimeoutError, type Subscription } from '@nats-io/transport-node';
import { CommandOutcomeSchema, DomainError, type CommandOutcome } from '@platform/contracts';
import { decodeMessage } from './json';

/**
 * Listens for one command's outcome. It is subscribed when created, so create it before sending the command;
 * the outcome is kept until `outcome()` is called.
 */
export class CommandOutcomeWatch {
  constructor(
    readonly commandId: string,
    private readonly subscription: Subscription,
    private readonly timeoutMs: number,
  ) {}

  /** The outcome, or DomainError `timeout` when none came within the time given to the watch. */
  async outcome(): Promise<CommandOutcome> {
    try {
      for await (const msg of this.subscription) {
        const decoded = decodeMessage(CommandOutcomeSchema, msg.data, 'command outcome');
        if (!decoded.ok) throw new DomainError('invalid_message', decoded.reason);
        return decoded.value;
      }
    } catch (error) {
      if (error instanceof TimeoutError) {
        throw new DomainError('timeout', `no outcome for command ${this.commandId} within ${this.timeoutMs} ms`);
      }
      throw error;
    }
    throw new DomainError('unavailable', `the connection closed before command ${this.commandId} had an outcome`);
  }

  /** Stops listening, for a caller that no longer waits (for example because sending the command failed). */
  cancel(): void {
    this.subscription.unsubscribe();
  }
}
