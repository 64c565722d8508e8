import {
  AccessDeniedError,
  ANY,
  AppendRecordSizeExceededError,
  BACKWARDS,
  END,
  FORWARDS,
  type Credentials,
  type KurrentDBClient,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamDeletedError as KurrentStreamDeletedError,
  StreamNotFoundError,
  StreamTombstonedError,
  UnknownError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  type AppendStreamState,
  type Filter,
  type JSONType,
  type Position,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import {
  EventStoreAccessDeniedError,
  EventStoreError,
  EventStoreUnavailableError,
  InvalidEventStoreInputError,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  EventSubscription,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '../event-store.port';
import {
  assertExpectedRevision,
  assertStreamName,
  checkReadAllOptions,
  checkReadStreamOptions,
  serializeEvents,
} from '../event-validation';
import { clientFor, credentialsOf } from './client-for';
import { DEFAULT_APPEND_TIMEOUT_MS, DEFAULT_READ_ALL_TIMEOUT_MS } from './deadlines';

/** How many events `headPosition` reads backwards, at most, looking for one of ours. */
const HEAD_SEARCH_LIMIT = 4_096;

export interface KurrentDbEventStoreOptions {
  /**
   * How long an append, a stream read or the head's read waits for KurrentDB's answer before it fails as unavailable
   * (an append's outcome then unknown).
   */
  readonly appendTimeoutMs?: number;
  /** How long a page of `$all` waits for KurrentDB's answer before it fails as unavailable (`KURRENTDB_READ_ALL_TIMEOUT_MS`). */
  readonly readAllTimeoutMs?: number;
}

/**
 * The production event log, over `@kurrent/kurrentdb-client`.
 *
 * Our global position is KurrentDB's commit position. Each event has a position of its own in `$all`, also
 * the events of one append (commit = prepare = the event's place in the log), so a checkpoint resumes from
 * `{ commit: p, prepare: p }`, as Emmett's KurrentDB adapter does; KurrentDB's `fromPosition` is inclusive
 * on reads, so the adapter skips positions at or below the checkpoint, and resumes exactly after it.
 */
export class KurrentDbEventStore implements EventStore {
  /**
   * A read of `$all` may be served by a follower node that has not caught up. Stream reads are the leader's
   * (`readEvents`), but kept as lagging here: a node that lost its leadership may still answer one before it knows.
   */
  readonly readsMayLag = true;
  private client: KurrentDBClient;
  /** Whether this store made its client (and may make a new one), rather than a test giving it. */
  private readonly ownsClient: boolean;
  /** When the client was last made again (`renewClient`), in epoch ms. */
  private renewedAt = 0;
  private closing: Promise<void> | undefined;

  private readonly appendTimeoutMs: number;
  private readonly readAllTimeoutMs: number;
  /** The connection string's user and password, given with every read (`credentialsOf`); none to append with. */
  private readonly readCredentials: { credentials?: Credentials };

  /** `client` is for tests, which give the client's answers themselves (no KurrentDB server runs here). */
  constructor(
    private readonly connectionString: string,
    client?: KurrentDBClient,
    options: KurrentDbEventStoreOptions = {},
  ) {
    this.ownsClient = client === undefined;
    this.client = client ?? clientFor(connectionString);
    this.appendTimeoutMs = options.appendTimeoutMs ?? DEFAULT_APPEND_TIMEOUT_MS;
    this.readAllTimeoutMs = options.readAllTimeoutMs ?? DEFAULT_READ_ALL_TIMEOUT_MS;
    const credentials = credentialsOf(connectionString);
    this.readCredentials = credentials ? { credentials } : {};
  }

  async append(streamName: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    const serialized = serializeEvents(streamName, events);
    assertExpectedRevision(options?.expectedRevision);
    const eventData = serialized.map((event) =>
      jsonEvent({
        id: event.id,
        type: event.type,
        data: JSON.parse(event.data) as JSONType,
        metadata: JSON.parse(event.metadata) as JSONType,
      }),
    );
    try {
      const result = await this.answered(
        this.client.appendToStream(streamName, eventData, { streamState: toStreamState(options.expectedRevision) }),
        `the append to ${streamName}`,
        'append',
      );
      // A refusal comes back as a result only with `throwOnAppendFailure=false` in the connection string. The batch
      // path of client 1.3 gives no usable revision with it (`BigInt` of a boolean: 0 or 1), so the stream's own
      // last revision is read, from the leader.
      if (!result.success)
        throw new WrongExpectedRevisionError(streamName, options.expectedRevision, await this.revisionOf(streamName));
      const position =
        result.position?.commit ??
        (await this.positionOfAppended(streamName, serialized[serialized.length - 1]!.id, result.nextExpectedRevision));
      return { nextRevision: Number(result.nextExpectedRevision), position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        // The client's older error path gives a missing stream as revision -1 rather than 'no_stream'.
        const state = error.actualState;
        const actual = state === NO_STREAM || (typeof state === 'bigint' && state < 0n) ? 'no_stream' : Number(state);
        throw new WrongExpectedRevisionError(streamName, options.expectedRevision, actual);
      }
      throw asStoreError(error, `append to ${streamName}`, streamName);
    }
  }

  /**
   * The call's answer, or `EventStoreUnavailableError` once `timeoutMs` (by default `appendTimeoutMs`) has passed
   * without one: whether an append was written is then unknown, as for any lost answer (the request answers 503, and
   * its retry goes on from what the log has by then). An answer that comes later is dropped. For an append, the client
   * is made again (`renewClient`).
   */
  private answered<T>(
    call: Promise<T>,
    what: string,
    kind: 'append' | 'read',
    timeoutMs = this.appendTimeoutMs,
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const append = kind === 'append';
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Only an append waits on the client's question to the node (`renewClient`); a slow read is only slow.
        if (append) this.renewClient();
        const unknown = append ? ': whether it was written is unknown' : '';
        reject(new EventStoreUnavailableError(`KurrentDB did not answer ${what} within ${timeoutMs} ms${unknown}`));
      }, timeoutMs).unref(); // the call's own connection keeps the process up while it waits
    });
    call.catch(() => undefined); // its failure after the deadline is nobody's to handle
    return Promise.race([call, late]).finally(() => clearTimeout(timer));
  }

  /**
   * A new client in place of one a call went unanswered on. The client asks the node once what it supports, before
   * its first append, with no deadline, and keeps that question's promise: unanswered, every later append waits on
   * it, and sends nothing, for good, even once the node answers again. Disposing the client does not clear it.
   * The old client's calls still under way end with it (its subscriptions drop, and their followers subscribe
   * again on the new one). At most once a deadline: a node that answers nothing is not asked over and over. Its
   * reader (the client's native bridge, which `dispose` does not close) is let go with it, for the collector.
   */
  private renewClient(): void {
    if (!this.ownsClient || this.closing || Date.now() - this.renewedAt < this.appendTimeoutMs) return;
    this.renewedAt = Date.now();
    const stale = this.client;
    this.client = clientFor(this.connectionString);
    stale.dispose().catch(() => undefined);
  }

  /**
   * Where the last event of a successful append is, when KurrentDB did not say: it answers a write of events it
   * already holds (a retry whose first answer was lost) without a position when it cannot tell it. The event is
   * read back at the revision the answer gives, from the leader: a follower may not have it yet.
   */
  private async positionOfAppended(streamName: string, lastId: string, revision: bigint): Promise<bigint> {
    const [event] = await this.readEvents(streamName, {
      direction: 'backwards',
      fromRevision: Number(revision),
      limit: 1,
    });
    if (event?.id !== lastId)
      throw new EventStoreUnavailableError(
        `KurrentDB gave no position for the append to ${streamName}, and its event ${lastId} is not at revision ${revision}`,
      );
    return event.position;
  }

  async readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.readEvents(streamName, options);
  }

  /** The stream's last revision, from the leader; `no_stream` when it has none. */
  private async revisionOf(streamName: string): Promise<number | 'no_stream'> {
    const [last] = await this.readEvents(streamName, { direction: 'backwards', limit: 1 });
    return last === undefined ? 'no_stream' : last.revision;
  }

  /**
   * The stream's events, from the leader (`requiresLeader`): the client's reads (its native bridge, with a
   * connection of its own) go to whichever node that connection is on, and a follower serves them without the
   * option, behind the leader. The connection is on a follower with a `nodePreference` other than `leader`, and
   * stays on a leader that loses its role without closing it (one that resigns, or is cut off and rejoins): a
   * command then read its stream without another instance's latest write, conflicted on append, and read the same
   * stale stream at each retry until it gave up. With the option a follower answers NotLeader (503, retried), and
   * the bridge connects to the leader it names.
   */
  private async readEvents(streamName: string, options: ReadStreamOptions | undefined): Promise<RecordedEvent[]> {
    this.assertOpen();
    assertStreamName(streamName);
    const { direction, fromRevision, limit } = checkReadStreamOptions(options);
    const events: RecordedEvent[] = [];
    const read = async () => {
      const reader = this.client.readStream(streamName, {
        direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
        fromRevision: fromRevision === undefined ? (direction === 'forwards' ? START : END) : BigInt(fromRevision),
        maxCount: limit,
        requiresLeader: true,
        ...this.readCredentials,
      });
      for await (const resolved of reader) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
    };
    try {
      // The client's reads take no deadline (its native reader drops the option): one is kept here.
      await this.answered(read(), `the read of ${streamName}`, 'read');
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw asStoreError(error, `read ${streamName}`, streamName);
    }
    return events;
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { after, limit, streamPrefixes } = checkReadAllOptions(options);
    try {
      // A deadline of its own, far longer than a stream read's: a filtered page may scan far for a few events.
      return await this.answered(
        this.readAllPage(after, limit, streamPrefixes),
        'the read of $all',
        'read',
        this.readAllTimeoutMs,
      );
    } catch (error) {
      throw asStoreError(error, 'read $all');
    }
  }

  private async readAllPage(after: bigint, limit: number, streamPrefixes: readonly string[]): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    // readAll's fromPosition is inclusive; ours is exclusive, so read one more and drop the checkpoint itself.
    // Events the server counts but that are not ours (not JSON; `$`-typed ones in a stream a prefix matches,
    // such as a deletion's) are dropped here: a page that holds only those is read on from its last position,
    // since an empty or short answer means the end of the log to every reader.
    let from = after;
    for (;;) {
      const reader = this.client.readAll({
        direction: FORWARDS,
        fromPosition: from === 0n ? START : toPosition(from),
        maxCount: limit + 1,
        filter: toFilter(streamPrefixes),
        ...this.readCredentials,
      });
      const start = from;
      let read = 0;
      for await (const resolved of reader) {
        read += 1;
        const event = toRecordedEvent(resolved);
        const position = event?.position ?? resolved.commitPosition;
        if (event && event.position > from) events.push(event);
        if (position !== undefined && position !== NO_POSITION && position > from) from = position;
        if (events.length === limit) break;
      }
      // Full; or the end of the log; or nothing read had a position to go on from (a server before 22.6).
      if (events.length === limit || read <= limit || from === start) return events;
    }
  }

  /**
   * The position of the last event of ours. Read backwards from the end, past KurrentDB's own events (the
   * filter drops `$`-typed ones; `$`-named streams and non-JSON events are skipped here), until the first
   * event of ours: one event read backwards is not enough, since the last may be a system one.
   */
  async headPosition(): Promise<bigint> {
    this.assertOpen();
    const head = async () => {
      const reader = this.client.readAll({
        direction: BACKWARDS,
        fromPosition: END,
        maxCount: HEAD_SEARCH_LIMIT,
        filter: excludeSystemEvents(),
        ...this.readCredentials,
      });
      // The newest event read, whoever's: past the limit without one of ours, the log is not empty, and its head is
      // at least there (callers compare the head, or follow on after it).
      let newest: bigint | undefined;
      for await (const resolved of reader) {
        const event = toRecordedEvent(resolved);
        if (event) return event.position;
        const position = resolved.event?.position?.commit ?? resolved.commitPosition;
        if (newest === undefined && position !== undefined && position !== NO_POSITION) newest = position;
      }
      return newest ?? 0n;
    };
    try {
      return await this.answered(head(), 'the read of the end of $all', 'read');
    } catch (error) {
      throw asStoreError(error, 'read the end of $all');
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): EventSubscription {
    this.assertOpen();
    const { after, streamPrefixes } = checkReadAllOptions(options);
    const subscription = this.client.subscribeToAll({
      fromPosition: after === 0n ? START : toPosition(after),
      filter: toFilter(streamPrefixes),
    });
    // The client opens the subscription at once, and emits a failure to open it as an 'error' event: before the
    // first read nothing listens yet, and Node would end the process. The subscription is ended with it instead,
    // so that the first read throws it.
    subscription.on('error', (error: Error) => subscription.destroy(error));
    const confirmed = new Promise<void>((resolve) => subscription.once('confirmation', () => resolve()));
    // Cancels the server's side; leaving the loop only ends the client's stream. A subscription whose opening
    // failed has nothing to cancel, and a close must not throw for it.
    const cancel = () => subscription.unsubscribe().catch(() => undefined);
    async function* events(): AsyncGenerator<RecordedEvent> {
      try {
        for await (const resolved of subscription) {
          const event = toRecordedEvent(resolved);
          if (event && event.position > after) yield event;
        }
      } catch (error) {
        throw asStoreError(error, 'subscribe to $all');
      } finally {
        // A consumer that stops reading (a `break`) ends the subscription at the server too.
        await cancel();
      }
    }
    const iterator = events();
    return {
      [Symbol.asyncIterator]: () => iterator,
      confirmed,
      close: async () => {
        await cancel();
        await iterator.return(undefined);
      },
    };
  }

  /** Ends the client's calls; every call after it is refused, as the embedded log's are. */
  close(): Promise<void> {
    this.closing ??= this.client.dispose();
    return this.closing;
  }

  /**
   * The client's reads go on after `dispose` (they run in its native bridge, which it does not stop): a call
   * after `close` is refused here instead.
   */
  private assertOpen(): void {
    if (this.closing) throw new EventStoreUnavailableError('The KurrentDB event store is closed');
  }
}

function toStreamState(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

function toPosition(position: bigint): Position {
  return { commit: position, prepare: position };
}

function toFilter(streamPrefixes: readonly string[]): Filter {
  // System events ($-prefixed types and streams) are KurrentDB's own, never ours.
  return streamPrefixes.length > 0 ? streamNameFilter({ prefixes: [...streamPrefixes] }) : excludeSystemEvents();
}

/** KurrentDB's "no position" as the unsigned 64-bit number the client reads it as (-1 on the server). */
const NO_POSITION = 2n ** 64n - 1n;

/**
 * One of our events as the port's; undefined for what is not ours (KurrentDB's own `$` events, non-JSON events).
 * One of ours without a position is refused rather than left out: a stream read that skipped it would give a
 * command an older state to decide on. Only servers before 22.6 leave it out (`RecordedEvent.position`).
 */
function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event as AllStreamRecordedEvent | undefined;
  if (!event || !event.isJson || event.type.startsWith('$') || event.streamId.startsWith('$')) return undefined;
  const position = event.position?.commit ?? resolved.commitPosition;
  if (position === undefined || position === NO_POSITION)
    throw new EventStoreUnavailableError(
      `KurrentDB gave event ${event.id} of ${event.streamId} no position: the engine needs KurrentDB 22.6 or later`,
    );
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: (event.metadata ?? {}) as EventMetadata,
    streamName: event.streamId,
    revision: Number(event.revision),
    position,
  };
}

/**
 * KurrentDB's errors as the port's: definite refusals (access denied, a deleted stream, an append over the
 * server's MaxAppendSize or an event over its MaxAppendEventSize) as their own types, so that callers neither answer
 * 503 nor retry them; only what may succeed later (unavailable, not leader, a deadline) as unavailable.
 */
function asStoreError(error: unknown, what: string, streamName?: string): Error {
  if (error instanceof EventStoreError) return error;
  const cause = { cause: error };
  const message = `KurrentDB could not ${what}: ${(error as Error).message}`;
  if (error instanceof AccessDeniedError) return new EventStoreAccessDeniedError(message, cause);
  if (error instanceof KurrentStreamDeletedError || error instanceof StreamTombstonedError)
    return new StreamDeletedError(
      streamName ?? (error instanceof StreamTombstonedError ? error.stream : error.streamName),
      cause,
    );
  if (error instanceof MaxAppendSizeExceededError)
    return new InvalidEventStoreInputError(`${message} (the server's MaxAppendSize is ${error.maxAppendSize} bytes)`);
  const eventTooLarge = eventSizeRefusal(error);
  if (eventTooLarge)
    return new InvalidEventStoreInputError(
      `${message} (an event is larger than the server's MaxAppendEventSize${eventTooLarge.limit ? ` of ${eventTooLarge.limit} bytes` : ''})`,
    );
  return new EventStoreUnavailableError(message, cause);
}

/**
 * Whether KurrentDB refused an event as larger than its MaxAppendEventSize (a node set below the engine's own limit),
 * with the limit when the answer says it. The client's own error for it, `AppendRecordSizeExceededError` (type
 * `append-record-size-exceeded`, with `maxSize`), comes of the newer protocol's answer (INVALID_ARGUMENT with
 * `AppendRecordSizeExceededErrorDetails`), which the single append turns into it. Answers of the older protocol have
 * no error of the client's (1.3) and come as an `UnknownError`: on the batch append (KurrentDB's
 * `MaximumAppendEventSizeExceeded` status, whose details the client drops) one whose message is the status's name,
 * the only trace of it the client keeps; on the single append the call's INVALID_ARGUMENT, whose metadata names the
 * exception.
 */
function eventSizeRefusal(error: unknown): { limit?: number } | undefined {
  if (error instanceof AppendRecordSizeExceededError)
    return Number.isSafeInteger(error.maxSize) && error.maxSize > 0 ? { limit: error.maxSize } : {};
  if (!(error instanceof UnknownError)) return undefined;
  if (error.message === 'Could not recognize MaximumAppendEventSizeExceeded') return {};
  const metadata = error._raw?.metadata;
  if (metadata?.get('exception')[0] !== 'maximum-append-event-size-exceeded') return undefined;
  const limit = Number(metadata.get('maximum-append-event-size')[0]);
  return Number.isSafeInteger(limit) && limit > 0 ? { limit } : {};
}
