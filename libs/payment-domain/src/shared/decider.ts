/**
 * A decider (Jérémie Chassaing's pattern, as in Emmett and Oskar Dudycz's samples): `decide` turns a
 * command and the current state into new events, `evolve` folds an event into the state. Pure: time
 * and ids arrive inside commands.
 */
export interface Decider<Command, Event, State> {
  readonly initialState: State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
}

export function fold<Event, State>(
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  events: readonly Event[],
): State {
  return events.reduce(decider.evolve, decider.initialState);
}
