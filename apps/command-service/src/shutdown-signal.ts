import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * Aborted when the service begins to stop, before its HTTP server closes: long waits (`waitFor=final`)
 * answer at once instead of holding the shutdown for up to a minute.
 */
@Injectable()
export class ShutdownSignal implements BeforeApplicationShutdown {
  private readonly controller = new AbortController();

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Ends the waits now. Nest runs the shutdown hooks of the providers that depend on this one first, and awaits
   * them: one that waits for its requests to be answered (the NATS responders) calls this first, or it would wait
   * for the very waits this ends.
   */
  begin(): void {
    this.controller.abort();
  }

  beforeApplicationShutdown(): void {
    this.begin();
  }
}
