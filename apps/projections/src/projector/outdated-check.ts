import type { Logger } from '@nestjs/common';
import { OutageWarnings } from '@app/platform';

/**
 * The check of `rebuildIfOutdated` (`ProjectorService`), made once by the writer at start: then, or, its bid for the
 * lease or its takeover failed (NATS did not answer), at the campaign's turn after it takes over; a check that fails
 * (the offer not read) is made again at the next turn. Made only at start, such a failure left read models of an
 * older fold unrebuilt until a restart.
 *
 * While NATS is gone every turn's check fails (the writer stays the writer: its failed bids do not make it stand
 * by), and a warning each was some two thousand lines an hour. What is said backs off as the lease's own does
 * (`OutageWarnings`), and the check made at last is said once.
 */
export class OutdatedCheck {
  /** Whether this instance is still to make the check as it writes. */
  pending = false;
  private readonly warnings: OutageWarnings;

  constructor(
    private readonly check: () => Promise<void>,
    /** Whether it may be made now: this instance writes, and is not stopping. */
    private readonly writing: () => boolean,
    logger: Pick<Logger, 'log' | 'warn'>,
    now?: () => number,
  ) {
    this.warnings = new OutageWarnings(
      logger,
      'the check for read models of an older fold is made: NATS answers again',
      now,
    );
  }

  /** Makes the check, if it is still to be made and this instance writes. */
  async make(): Promise<void> {
    if (!this.pending || !this.writing()) return;
    try {
      await this.check();
      this.pending = false;
    } catch (error) {
      this.warnings.failed(
        error,
        'could not tell whether to rebuild read models of an older fold: asked again at the next turn of the lease',
      );
      return;
    }
    this.warnings.answered();
  }
}
