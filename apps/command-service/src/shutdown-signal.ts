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

  beforeApplicationShutdown(): void {
    this.controller.abort();
  }
}
