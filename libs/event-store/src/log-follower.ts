import type { EventStore, EventSubscription, RecordedEvent } from './event-store.port';
import { markOf, type LogMark } from './log-mark';

/** The pauses between resubscriptions after a drop: doubling from 100 ms to at most 10 s. */
const FIRST_PAUSE_MS = 100;
const MAX_PAUSE_MS = 10_000;
/** A resubscription that has run this long without failing counts as up, even before an event comes. */
const UP_AFTER_MS = 1_000;
/** How long a subscription the log confirms (KurrentDB) may go unconfirmed, with no event, before it is dropped. */
const CONFIRM_WITHIN_MS = 10_000;
/** The longest `stop()` waits for a subscription to close (KurrentDB's may wait on a node that is gone). */
const CLOSE_LIMIT_MS = 5_000;

/**
 * `onEvent` failed on an event: the follower stops at it and delivers it again after the pause, so a fold that
 * cannot take an event holds its reader at that event rather than skip it. Names the event, and how many times
 * in a row it failed, for the log and `/health`.
 */
export class EventHandlingError extends Error {
  readonly eventId: string;
  readonly eventType: string;
  readonly streamName: string;
  readonly position: bigint;
  /** Whom the event is about, from its metadata, for the log line (never the event's data). */
  readonly about: Readonly<Record<'paymentId' | 'storeId' | 'terminalId' | 'correlationId', string | undefined>>;

  constructor(
    event: RecordedEvent,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `could not handle ${event.type} at position ${event.position} (stream ${event.streamName}), ` +
        `${attempts} time${attempts === 1 ? '' : 's'} in a row: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'EventHandlingError';
    this.eventId = event.id;
    this.eventType = event.type;
    this.streamName = event.streamName;
    this.position = event.position;
    const text = (name: string) => {
      const value = event.metadata[name];
      return typeof value === 'string' ? value : undefined;
    };
    this.about = {
      paymentId: text('paymentId'),
      storeId: text('storeId'),
      terminalId: text('terminalId'),
      correlationId: text('correlationId'),
    };
  }
}

export interface LogFollowerOptions {
  /** Streams followed, by name prefix; all of the log when empty. */
  readonly streamPrefixes: readonly string[];
  /** Each event, in log order, once; the next is not delivered before this settles. */
  readonly onEvent: (event: RecordedEvent) => void | Promise<void>;
  /**
   * The subscription ended or failed, and is tried again in `retryInMs`; an `EventHandlingError` when `onEvent`
   * threw.
   */
  readonly onDrop?: (error: unknown, retryInMs: number) => void;
  /** How long a subscription the log confirms may go unconfirmed, with no event, before it is dropped (10 s). */
  readonly confirmWithinMs?: number;
}

/**
 * Follows the log from a position, and keeps following it. KurrentDB ends a subscription on a restart, a
 * leader change, a network break or a slow consumer, and its client does not resubscribe by itself; so
 * after a drop this resubscribes from the last event it delivered, with a doubling pause, and the caller
 * neither misses nor repeats an event. An error thrown by `onEvent` counts as a drop too: the event is
 * delivered again after the pause, and `stuckAt` names it until it is handled.
 */
export class LogFollower {
  private subscription: EventSubscription | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private down = false;
  private after = 0n;
  private lastEvent: RecordedEvent | undefined;
  private dropCount = 0;
  /** Ends the pause before a resubscription at once: `stop()` does not wait it out. */
  private wakeFromPause: (() => void) | undefined;
  /** The `onEvent` call in progress, if any: `stop()` waits for it, and for nothing else. */
  private delivering: Promise<void> | undefined;
  /** The event `onEvent` last failed on, until it is handled. */
  private failing: EventHandlingError | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly options: LogFollowerOptions,
  ) {}

  /** False while the follower waits to resubscribe after a drop: for `/health` and metrics. */
  get healthy(): boolean {
    return !this.down;
  }

  /** How many times the subscription dropped since the follower started. */
  get drops(): number {
    return this.dropCount;
  }

  /** The event `onEvent` failed on, as long as the follower stays stopped at it (undefined once it is handled). */
  get stuckAt(): EventHandlingError | undefined {
    return this.failing;
  }

  /**
   * The position of the last event delivered (and settled by `onEvent`): as soon as an `onEvent` that returns no
   * promise returns, so that a snapshot of what it folded, taken with this in one synchronous step, names every event in it.
   */
  get position(): bigint {
    return this.after;
  }

  /** Which event that was (undefined before the first one this follower delivered). */
  get mark(): LogMark | undefined {
    return this.lastEvent && markOf(this.lastEvent);
  }

  /** Starts following after `after` (0 for the whole log). */
  start(after: bigint): void {
    if (this.running) throw new Error('LogFollower.start: already started');
    this.after = after;
    this.running = this.follow();
  }

  /**
   * Stops: once this resolves no `onEvent` is running or will run. It never rejects, and besides the
   * `onEvent` in progress waits at most CLOSE_LIMIT_MS for the subscription to close; the loop itself may
   * still be parked on a subscription that never answers, but it delivers nothing more.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeFromPause?.();
    await closeWithin(this.subscription, CLOSE_LIMIT_MS);
    await this.delivering?.catch(() => undefined);
  }

  private async follow(): Promise<void> {
    let pause = FIRST_PAUSE_MS;
    const confirmWithin = this.options.confirmWithinMs ?? CONFIRM_WITHIN_MS;
    while (!this.stopped) {
      try {
        const subscription = this.store.subscribeToAll({
          after: this.after,
          streamPrefixes: this.options.streamPrefixes,
        });
        this.subscription = subscription;
        const isUp = () => {
          this.down = false;
          pause = FIRST_PAUSE_MS;
        };
        // Up once the log confirms it (KurrentDB), or else once it has run a moment without failing (a quiet
        // log sends no event to say so); the pause then starts again from the first, so that the next drop is
        // retried at once. One the log never confirms (a node that holds the connection and never serves it)
        // is down from the start, and dropped once `confirmWithinMs` has passed with no event either.
        let up: NodeJS.Timeout | undefined;
        let unconfirmed: Promise<never> | undefined;
        // Until this subscription is dropped: a confirmation that comes later changes nothing.
        const live = { current: true };
        if (subscription.confirmed) {
          this.down = true;
          subscription.confirmed.then(
            () => {
              if (!live.current) return;
              clearTimeout(up);
              isUp();
            },
            () => undefined,
          );
          unconfirmed = new Promise<never>((_, reject) => {
            up = setTimeout(
              () => reject(new Error(`the log did not confirm the subscription within ${confirmWithin} ms`)),
              confirmWithin,
            ).unref();
          });
          unconfirmed.catch(() => undefined);
        } else up = setTimeout(isUp, UP_AFTER_MS).unref();
        const iterator = subscription[Symbol.asyncIterator]();
        try {
          for (;;) {
            const next = iterator.next();
            // Raced, a read left behind when the subscription is dropped must not fail unheard.
            if (unconfirmed) next.catch(() => undefined);
            const step = await (unconfirmed ? Promise.race([next, unconfirmed]) : next);
            if (step.done) break;
            // An event is as good as a confirmation.
            if (unconfirmed) clearTimeout(up);
            unconfirmed = undefined;
            const event = step.value;
            if (this.stopped) return;
            try {
              const handled = this.options.onEvent(event);
              // A fold that returns no promise has taken the event when it returns: the position moves at once, with
              // no step between in which a snapshot of the fold (`CheckpointKeeper`) would hold an event it does not name.
              if (handled !== undefined) {
                this.delivering = handled;
                await handled;
              }
            } catch (error) {
              const attempts = this.failing?.eventId === event.id ? this.failing.attempts + 1 : 1;
              throw (this.failing = new EventHandlingError(event, attempts, error));
            }
            this.delivering = undefined;
            this.failing = undefined;
            this.after = event.position;
            this.lastEvent = event;
            this.down = false;
            pause = FIRST_PAUSE_MS;
          }
        } finally {
          clearTimeout(up);
          live.current = false;
        }
        if (this.stopped) return;
        throw new Error('the subscription to the log ended');
      } catch (error) {
        if (this.stopped) return;
        this.down = true;
        this.dropCount += 1;
        this.delivering = undefined;
        await closeWithin(this.subscription, CLOSE_LIMIT_MS);
        if (this.stopped) return;
        this.options.onDrop?.(error, pause);
        await new Promise<void>((resolve) => {
          if (this.stopped) return resolve();
          const timer = setTimeout(resolve, pause).unref();
          this.wakeFromPause = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeFromPause = undefined;
        pause = Math.min(pause * 2, MAX_PAUSE_MS);
      }
    }
  }
}

/** Closes a subscription, giving up after `limitMs`; a failure to close is of no consequence here. */
async function closeWithin(subscription: EventSubscription | undefined, limitMs: number): Promise<void> {
  if (!subscription) return;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs).unref()));
  await Promise.race([subscription.close().catch(() => undefined), limit]);
  clearTimeout(timer);
}
