import { Injectable } from '@nestjs/common';

/**
 * The time Dintero writes on its records (session and transaction events, `created_at`, `updated_at`, a
 * callback's `time`). Real time by default; a test may move it (`PUT /_control/clock`) to put a capture
 * seconds before a store's local midnight and deliver its reports after it, without waiting for midnight.
 * Only the stamps move: session expiry, token lifetimes and delivery retries keep real time.
 */
@Injectable()
export class SimulatorClock {
  private offsetMs = 0;

  get offset(): number {
    return this.offsetMs;
  }

  set offset(offsetMs: number) {
    this.offsetMs = offsetMs;
  }

  /** Now, as Dintero would stamp it. */
  stamp(): string {
    return new Date(Date.now() + this.offsetMs).toISOString();
  }
}
