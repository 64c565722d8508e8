import type { CatchUpPage } from '../catch-up-subscription';
import type { RecordedEvent } from '../event-store.port';

/**
 * The log's newest events, read and parsed once for every subscription of this process. Without it each
 * subscription (the projector, the reconciler, the `waitFor=final` notifier) ran its own SQL read and JSON
 * parse of the same new events: the largest item of the one-process engine's profile.
 *
 * It holds every event after `coveredAfter` up to `end` (the head when it was last filled): fewer than twice
 * `capacity` of them and of `characterCapacity` (their rows as JSON text, data and metadata with the id, type and
 * stream, so that large events cannot make it hold gigabytes: an event may have 1 MiB), and once that many have come,
 * the newest within both. A read after `coveredAfter` is answered from memory, an older one (a subscription catching
 * up) is not, and goes to SQL.
 * Events are shared between readers, and never changed.
 */
export class RecentEvents {
  private events: RecordedEvent[] = [];
  /** Each event's size (`push`), in the order of `events`, and their sum. */
  private sizes: number[] = [];
  private characters = 0;
  /** The window's events by stream, in revision order: a stream's tail is told from memory (`streamTail`). */
  private byStream = new Map<string, RecordedEvent[]>();
  private coveredAfter: bigint | undefined;
  private last: bigint | undefined;

  constructor(
    private readonly capacity: number,
    private readonly characterCapacity = Number.POSITIVE_INFINITY,
  ) {}

  /** Where the next fill reads from (exclusive); undefined before the first fill. */
  get end(): bigint | undefined {
    return this.last;
  }

  /** Starts the window empty at the log's head: history stays in SQL. */
  startAt(head: bigint): void {
    this.coveredAfter ??= head;
    this.last ??= head;
  }

  /**
   * Starts the window again, empty, at `position`: the events between `end` and it are left to SQL, as history.
   * For a backlog larger than the window (another process appended a great many), which would otherwise all be
   * read, parsed and mostly dropped again in one go.
   */
  restartAt(position: bigint): void {
    this.events = [];
    this.sizes = [];
    this.characters = 0;
    this.byStream = new Map();
    this.coveredAfter = position;
    this.last = position;
  }

  /**
   * The events after `end`, in position order, as the log committed them, with their sizes (characters of JSON
   * text). The window is trimmed back to its capacities only once it holds twice either: trimming on every push
   * copied the whole window each time (a commit or two a millisecond at a chain's peak), the largest item of the
   * engine's profile after the SQL.
   */
  push(events: readonly RecordedEvent[], sizes: readonly number[] = events.map(() => 0)): void {
    if (events.length === 0) return;
    events.forEach((event, i) => {
      this.events.push(event);
      this.sizes.push(sizes[i]!);
      this.characters += sizes[i]!;
      this.index(event);
    });
    this.last = events[events.length - 1]!.position;
    if (this.events.length >= 2 * this.capacity || this.characters >= 2 * this.characterCapacity) this.trim();
  }

  /** Back to the newest events within both capacities. */
  private trim(): void {
    let drop = Math.max(0, this.events.length - this.capacity);
    let dropped = 0;
    for (let i = 0; i < drop; i++) dropped += this.sizes[i]!;
    while (drop < this.events.length && this.characters - dropped > this.characterCapacity)
      dropped += this.sizes[drop++]!;
    if (drop === 0) return;
    this.coveredAfter = this.events[drop - 1]!.position;
    this.events = this.events.slice(drop);
    this.sizes = this.sizes.slice(drop);
    this.characters -= dropped;
    // Made again from what is kept, at most once per `capacity` events (or `characterCapacity`) pushed.
    this.byStream = new Map();
    for (const event of this.events) this.index(event);
  }

  private index(event: RecordedEvent): void {
    const stream = this.byStream.get(event.streamName);
    if (stream) stream.push(event);
    else this.byStream.set(event.streamName, [event]);
  }

  /**
   * A stream's events from `fromRevision` on (at most `limit`), when the window can tell: it holds an event of
   * the stream at or before `fromRevision`, so every later one is in it too (they were committed after it).
   * Undefined when it cannot: the stream has no event in the window, or its first one there is later.
   */
  streamTail(streamName: string, fromRevision: number, limit: number): RecordedEvent[] | undefined {
    const events = this.byStream.get(streamName);
    if (!events || events[0]!.revision > fromRevision) return undefined;
    const tail: RecordedEvent[] = [];
    for (let i = fromRevision - events[0]!.revision; i < events.length && tail.length < limit; i++)
      tail.push(events[i]!);
    return tail;
  }

  /**
   * Up to `limit` events after `after` in streams starting with one of `prefixes` (all when none), and, when
   * fewer came, `end` as the position through which every event was considered; undefined when the window
   * does not cover `after`.
   */
  read(after: bigint, limit: number, prefixes: readonly string[]): CatchUpPage | undefined {
    if (this.coveredAfter === undefined || after < this.coveredAfter) return undefined;
    const events: RecordedEvent[] = [];
    for (let i = this.firstAfter(after); i < this.events.length && events.length < limit; i++) {
      const event = this.events[i]!;
      if (prefixes.length === 0 || prefixes.some((prefix) => event.streamName.startsWith(prefix))) events.push(event);
    }
    return events.length < limit && this.last !== undefined ? { events, through: this.last } : { events };
  }

  private firstAfter(after: bigint): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.events[middle]!.position <= after) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
