import type { MessageMetadata } from '@platform/contracts';

/** What a decision may depend on besides the command and the state: who asks, and the time, passed in so decide stays pure. */
export interface DecisionContext {
  readonly metadata: MessageMetadata;
  readonly now: Date;
}

export interface Message<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/**
 * An aggregate as Emmett models it: `decide` turns a command and the current state into new events (or throws
 * a DomainError to refuse), `evolve` folds one event into the state. Both pure: no I/O, no clock, no randomness.
 */
export interface Decider<Command extends Message, Event extends Message, State> {
  decide(command: Command, state: State, context: DecisionContext): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

export function foldEvents<Event extends Message, State>(
  decider: Pick<Decider<Message, Event, State>, 'evolve' | 'initialState'>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
