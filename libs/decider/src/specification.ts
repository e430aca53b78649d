import type { DecisionContext, Decider, Message } from './decider';
import { foldEvents } from './decider';

/**
 * Given events / when command / then events (or then throws), as Emmett's DeciderSpecification, for any
 * test runner with `expect`.
 */
export function deciderSpecification<Command extends Message, Event extends Message, State>(
  decider: Decider<Command, Event, State>,
  context: DecisionContext,
) {
  return {
    given(events: readonly Event[]) {
      return {
        when(command: Command) {
          const run = () => decider.decide(command, foldEvents(decider, events), context);
          return {
            then(expected: readonly Event[]): void {
              expect(run()).toEqual(expected);
            },
            thenNothingHappens(): void {
              expect(run()).toEqual([]);
            },
            thenThrows(check: (error: unknown) => void): void {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeDefined();
              check(thrown);
            },
          };
        },
      };
    },
  };
}
