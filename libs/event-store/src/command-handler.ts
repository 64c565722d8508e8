import { WrongExpectedRevisionError } from './event-store.errors';
import { stateCache, type CachedState } from './state-cache';
import type { AppendResult, EventMetadata, EventStore, NewEvent } from './event-store.port';

/** The decider shape command handling needs (structural, so that this lib depends on no domain). */
export interface StreamDecider<Command, Event extends { type: string; data: unknown }, State> {
  readonly initialState: State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
}

export interface HandledCommand<Event, State> {
  /** Events this command recorded; empty when the facts were already there. */
  readonly events: readonly Event[];
  /** The state after them. */
  readonly state: State;
  readonly nextRevision: number | undefined;
  readonly position: bigint | undefined;
}

export interface HandleOptions<Event, State = unknown> {
  readonly metadata: EventMetadata;
  /**
   * An event's own metadata, where one command's events are about different things (a transaction's report
   * settling refunds done at other terminals than the payment's): given the state the command was decided on.
   */
  readonly metadataOf?: (event: Event, state: State) => EventMetadata;
  /**
   * Deterministic ids for the events, random otherwise. They make a retried append of the same facts
   * idempotent in KurrentDB only when it comes with the same ids at the same expected revision; the decider
   * (which sees the facts already recorded and decides nothing new) is what absorbs every other repeat.
   */
  readonly eventId?: (event: Event, index: number) => string;
  readonly maxAttempts?: number;
  /**
   * The stream is expected not to exist yet (its name holds an id just made, e.g. a new payment's): when this
   * process has no state of it, the command is decided on the initial state and appended as `no_stream`
   * without reading the log first. Should the stream exist after all (a resumed request), the append fails
   * on its expected revision and the command is decided again on the log, as for any stale state.
   */
  readonly expectNew?: boolean;
}

const READ_PAGE = 1_000;
/** The revision the state cache keeps for a stream read with no events yet. */
const NO_STREAM = -1;

/**
 * docs/design.md's command handling, the one path every write takes: read the stream (or take the state this
 * process folded last), fold with `evolve`, run `decide`, append at the revision read. On a conflict someone
 * else wrote first: read again and decide again, a bounded number of times. Errors thrown by `decide` (broken
 * rules) on the stream as the log has it pass through unchanged.
 *
 * Commands on one stream take turns in this process (`inTurn`): each decides on the state the one before it left,
 * so that only another process's writes can conflict. Dintero reports a payment twice at once (its callback and
 * its webhook), and both were decided on the same state: the second append failed, and was read and decided
 * again, for 1.77 of every payment's streams in `bench:e2e` at 100/s (871 payment and 896 terminal conflicts for
 * 1,000 payments, counted in `dist/`).
 */
export function handleCommand<Command, Event extends { type: string; data: unknown }, State>(
  store: EventStore,
  streamName: string,
  decider: StreamDecider<Command, Event, State>,
  command: Command,
  options: HandleOptions<Event, State>,
): Promise<HandledCommand<Event, State>> {
  return inTurn(store, streamName, async () => {
    const maxAttempts = options.maxAttempts ?? 5;
    let tryCache = true;
    for (let attempt = 1; ; attempt++) {
      const { state, revision, events, fromCache } = await decision(
        store,
        streamName,
        decider,
        command,
        tryCache,
        options.expectNew === true,
      );
      tryCache = false;
      if (events.length === 0) return { events, state, nextRevision: revision, position: undefined };
      const toAppend: NewEvent[] = events.map((event, index) => ({
        ...(options.eventId ? { id: options.eventId(event, index) } : {}),
        type: event.type,
        data: event.data,
        metadata: options.metadataOf ? options.metadataOf(event, state) : options.metadata,
      }));
      let result: AppendResult;
      try {
        result = await store.append(streamName, toAppend, { expectedRevision: revision ?? 'no_stream' });
      } catch (error) {
        // A cached state someone else's write overtook is not an attempt: the next reads the log.
        if (error instanceof WrongExpectedRevisionError && fromCache) {
          attempt -= 1;
          continue;
        }
        if (error instanceof WrongExpectedRevisionError && attempt < maxAttempts) continue;
        throw error;
      }
      const next = events.reduce((folded, event) => decider.evolve(folded, event), state);
      stateCache(store, decider).set(streamName, {
        state: next,
        revision: result.nextRevision,
        position: result.position,
      });
      return { events, state: next, nextRevision: result.nextRevision, position: result.position };
    }
  });
}

/** Per store and stream, what the last command taken there in this process settles with. */
const turns = new WeakMap<EventStore, Map<string, Promise<void>>>();

/**
 * Runs `work` once every command already taken on this stream in this process has settled. (A chain of promises
 * per key, forgotten once it is idle: a mutex library would add a dependency for these lines.)
 */
function inTurn<T>(store: EventStore, streamName: string, work: () => Promise<T>): Promise<T> {
  let streams = turns.get(store);
  if (!streams) turns.set(store, (streams = new Map<string, Promise<void>>()));
  const before = streams.get(streamName);
  const running = before ? before.then(work) : work();
  const settled = running.then(
    () => undefined,
    () => undefined,
  );
  streams.set(streamName, settled);
  void settled.then(() => {
    if (streams.get(streamName) === settled) streams.delete(streamName);
  });
  return running;
}

/**
 * What the command decides, and on which state. First, when `tryCache`, the state this process already folded,
 * without reading: its own writes keep it current, and the append at its revision fails if anyone else wrote
 * since. Any other decision on it (nothing to record, or a refusal) is taken again on the stream as the log has
 * it, since no append would check it.
 */
async function decision<Command, Event extends { type: string; data: unknown }, State>(
  store: EventStore,
  streamName: string,
  decider: StreamDecider<Command, Event, State>,
  command: Command,
  tryCache: boolean,
  expectNew: boolean,
): Promise<{ state: State; revision: number | undefined; events: Event[]; fromCache: boolean }> {
  const found = tryCache ? (stateCache(store, decider).get(streamName) as CachedState<State> | undefined) : undefined;
  // A stream expected to be new is taken as empty, to be checked by the append (`no_stream`).
  const cached: CachedState<State> | undefined =
    found ??
    (tryCache && expectNew ? { state: decider.initialState, revision: NO_STREAM, position: undefined } : undefined);
  if (cached) {
    const revision = revisionOf(cached);
    try {
      const events = decider.decide(command, cached.state);
      if (events.length > 0) return { state: cached.state, revision, events, fromCache: true };
    } catch {
      // A refusal on a state that may be behind: taken again on the log.
    }
  }
  const { state, revision } = await readState(store, streamName, decider);
  return { state, revision, events: decider.decide(command, state), fromCache: false };
}

/** A cached state's revision as callers know it: undefined for a stream read with no events. */
const revisionOf = (cached: CachedState<unknown>): number | undefined =>
  cached.revision === NO_STREAM ? undefined : cached.revision;

/** Folds a stream page by page: from the state cached for it, reading only the events after it. */
export async function readState<Command, Event extends { type: string; data: unknown }, State>(
  store: EventStore,
  streamName: string,
  decider: StreamDecider<Command, Event, State>,
): Promise<{ state: State; revision: number | undefined; position: bigint | undefined }> {
  const cache = stateCache(store, decider);
  const cached = cache.get(streamName) as CachedState<State> | undefined;
  let state = cached?.state ?? decider.initialState;
  let revision: number | undefined =
    cached === undefined || cached.revision === NO_STREAM ? undefined : cached.revision;
  let position: bigint | undefined = cached?.position;
  for (;;) {
    const page = await store.readStream(streamName, {
      fromRevision: revision === undefined ? 0 : revision + 1,
      limit: READ_PAGE,
    });
    for (const recorded of page) {
      state = decider.evolve(state, { type: recorded.type, data: recorded.data } as Event);
      revision = recorded.revision;
      position = recorded.position;
    }
    if (page.length < READ_PAGE) {
      // A stream with no events is kept too: a new idempotency key or payment is read, then written at once.
      const seen = revision ?? NO_STREAM;
      if (seen !== cached?.revision) cache.set(streamName, { state, revision: seen, position });
      return { state, revision, position };
    }
  }
}
