import { EventStoreUnavailableError, type EventStore } from '@app/event-store';

/** A log whose chosen reads fail, as KurrentDB's do while it elects a leader or SQLite's while its file is busy. */
export interface LogOutage {
  /** The real store, its `methods` failing while the outage lasts. */
  readonly store: EventStore;
  /** How many calls have failed so far. */
  readonly failures: number;
  /** The log answers again: every call after this goes to the real store. */
  end(): void;
}

/**
 * Fault injection, not a stand-in: every call goes to the real store but those of `methods` (`only` those it picks) made while the
 * outage lasts, which fail as the adapters say the log is away (`EventStoreUnavailableError`). Until `end`, or for the first
 * `calls` of them when it is given.
 */
export function logOutage(
  real: EventStore,
  methods: readonly (keyof EventStore)[],
  {
    calls = Number.POSITIVE_INFINITY,
    only = () => true,
  }: {
    calls?: number;
    /** Which of those calls fail, by their arguments (a stream's name, say): every one unless given. */
    only?: (...args: unknown[]) => boolean;
  } = {},
): LogOutage {
  let failures = 0;
  let ended = false;
  const store = new Proxy(real, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || !methods.includes(property as keyof EventStore)) return value;
      return (...args: unknown[]) => {
        if (ended || failures >= calls || !only(...args))
          return (value as (...args: unknown[]) => unknown).apply(target, args);
        failures += 1;
        return Promise.reject(new EventStoreUnavailableError(`the log did not answer (injected failure ${failures})`));
      };
    },
  });
  return {
    store,
    get failures() {
      return failures;
    },
    end: () => void (ended = true),
  };
}
