import type { EventStore, EventSubscription } from './event-store.port';

/** The pauses between resubscriptions after a drop: doubling from 100 ms to at most 10 s. */
const FIRST_PAUSE_MS = 100;
const MAX_PAUSE_MS = 10_000;

/**
 * Wakes whoever waits on a stream when an event of it is recorded, from one live subscription to the log
 * for the whole process, rather than one subscription per waiter (on KurrentDB, each of those would be a
 * server-side subscription). It starts at the log's head, since waiters read the stream themselves first and
 * only need to hear of what comes after, and after a drop it resubscribes from the last position it saw,
 * with a growing pause, waking every waiter so that none misses what came in between.
 */
export class StreamNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  private subscription: EventSubscription | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private down = false;

  constructor(
    private readonly store: EventStore,
    private readonly streamPrefixes: readonly string[],
    private readonly onDrop: (error: unknown, retryInMs: number) => void = () => undefined,
  ) {}

  /** Whether the subscription is up (for health): false while it waits to resubscribe. */
  get healthy(): boolean {
    return !this.down;
  }

  async start(): Promise<void> {
    const after = await this.store.headPosition();
    this.running = this.follow(after);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    await this.running;
    this.wakeAll();
  }

  /**
   * Resolves at the next event of `streamName` recorded after this call, or when `abort` fires. Register
   * before reading the stream, then read: an event recorded in between still wakes the waiter.
   */
  next(streamName: string, abort: AbortSignal): Promise<void> {
    if (abort.aborted || this.stopped) return Promise.resolve();
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

  private async follow(from: bigint): Promise<void> {
    let after = from;
    let pause = FIRST_PAUSE_MS;
    while (!this.stopped) {
      try {
        this.subscription = this.store.subscribeToAll({ after, streamPrefixes: this.streamPrefixes });
        for await (const event of this.subscription) {
          after = event.position;
          this.down = false;
          pause = FIRST_PAUSE_MS;
          for (const wake of [...(this.waiters.get(event.streamName) ?? [])]) wake();
        }
        if (this.stopped) return;
        throw new Error('the subscription ended');
      } catch (error) {
        if (this.stopped) return;
        this.down = true;
        this.onDrop(error, pause);
        // What was recorded while the subscription was down is read by the woken waiters themselves.
        this.wakeAll();
        await new Promise((resolve) => setTimeout(resolve, pause).unref());
        pause = Math.min(pause * 2, MAX_PAUSE_MS);
      }
    }
  }

  private wakeAll(): void {
    for (const waiting of [...this.waiters.values()]) for (const wake of [...waiting]) wake();
  }
}
