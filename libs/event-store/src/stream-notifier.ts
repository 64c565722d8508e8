import type { EventStore } from './event-store.port';
import { LogFollower, type LogFollowerOptions } from './log-follower';

/**
 * Wakes whoever waits on a stream when an event of it is recorded, from one live subscription to the log
 * for the whole process, rather than one subscription per waiter (on KurrentDB, each of those would be a
 * server-side subscription). It starts at the log's head, since waiters read the stream themselves first and
 * only need to hear of what comes after. After a drop its `LogFollower` resubscribes from the last position
 * it saw, and every waiter is woken so that none misses what came in between.
 */
export class StreamNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly follower: LogFollower;
  private ended = false;

  constructor(
    private readonly store: EventStore,
    streamPrefixes: readonly string[],
    /** Makes the follower: an app's `LogSubscriptions` passes one that is logged, counted and in `/health`. */
    follower: (options: LogFollowerOptions) => LogFollower = (options) => new LogFollower(store, options),
  ) {
    this.follower = follower({
      streamPrefixes,
      onEvent: (event) => {
        for (const wake of [...(this.waiters.get(event.streamName) ?? [])]) wake();
      },
      // What was recorded while the subscription was down is read by the woken waiters themselves.
      onDrop: () => this.wakeAll(),
    });
  }

  /** Whether the subscription is up (for health): false while it waits to resubscribe. */
  get healthy(): boolean {
    return this.follower.healthy;
  }

  /**
   * Follows the log from its head. Waiters that came before (a start tried again while the log did not answer, the
   * app taking long polls meanwhile) are woken to read their streams: what was recorded between their read and the
   * head is never told them, and they waited for their whole timeout with the payment ended.
   */
  async start(): Promise<void> {
    this.follower.start(await this.store.headPosition());
    this.wakeAll();
  }

  /** Stopped: `next` resolves at once, so a waiter must look at this to end its wait rather than loop. */
  get stopped(): boolean {
    return this.ended;
  }

  async stop(): Promise<void> {
    this.ended = true;
    await this.follower.stop();
    this.wakeAll();
  }

  /**
   * Resolves at the next event of `streamName` recorded after this call, or when `abort` fires. Register
   * before reading the stream, then read: an event recorded in between still wakes the waiter.
   */
  next(streamName: string, abort: AbortSignal): Promise<void> {
    if (abort.aborted || this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      let waiting = this.waiters.get(streamName);
      if (!waiting) this.waiters.set(streamName, (waiting = new Set()));
      const wake = () => {
        const set = this.waiters.get(streamName);
        set?.delete(wake);
        if (set?.size === 0) this.waiters.delete(streamName);
        abort.removeEventListener('abort', wake);
        resolve();
      };
      waiting.add(wake);
      abort.addEventListener('abort', wake, { once: true });
    });
  }

  private wakeAll(): void {
    for (const waiting of [...this.waiters.values()]) for (const wake of [...waiting]) wake();
  }
}
