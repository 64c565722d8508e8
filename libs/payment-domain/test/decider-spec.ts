import { DomainError, fold, type Decider, type DomainErrorCode } from '@app/payment-domain';

/** Given events, when a command, then events (or a domain error): the form of every domain test. */
export function deciderSpec<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return {
    given: (events: readonly Event[]) => ({
      when: (command: Command) => {
        const run = () => decider.decide(command, fold(decider, events));
        return {
          then: (expected: readonly Event[]) => expect(run()).toEqual(expected),
          thenNothing: () => expect(run()).toEqual([]),
          /** The error's code, and its details and the words it says (`message`) when given. */
          thenFails: (code: DomainErrorCode, details?: Record<string, unknown>, message?: RegExp) => {
            let error: unknown;
            try {
              run();
            } catch (caught) {
              error = caught;
            }
            expect(error).toBeInstanceOf(DomainError);
            expect((error as DomainError).code).toBe(code);
            if (details) expect((error as DomainError).details).toMatchObject(details);
            if (message) expect((error as DomainError).message).toMatch(message);
          },
        };
      },
    }),
  };
}
