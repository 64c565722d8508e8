import { setMaxListeners } from 'node:events';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/** More waits than a command service could hold at once (see the constructor). */
const MOST_WAITS = 100_000;

/**
 * Aborted when the service begins to stop, before its HTTP server closes: long waits (`waitFor=final`)
 * answer at once instead of holding the shutdown for up to a minute.
 */
@Injectable()
export class ShutdownSignal implements OnModuleDestroy {
  private readonly controller = new AbortController();

  constructor() {
    // Every wait under way listens to it: thousands at a chain's peak (130 payments a second, waits of up to a
    // minute), where Node warns of a leak past ten. Past this many it still does, as one it would be.
    setMaxListeners(MOST_WAITS, this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * The first of Nest's shutdown phases, before any provider's `beforeApplicationShutdown`: Nest awaits those one
   * dependency level at a time, and one that waits for its requests to be answered (the NATS responders) would
   * otherwise wait for the very waits this ends. The log and NATS close later, at `onApplicationShutdown`.
   */
  onModuleDestroy(): void {
    this.controller.abort();
  }
}
