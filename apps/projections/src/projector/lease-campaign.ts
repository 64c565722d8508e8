import type { Logger } from '@nestjs/common';
import { OutageWarnings } from '@app/platform';

/**
 * One turn of the projector's campaign for its lease (`ProjectorLeadership.contend`, every third of a lease), and
 * what it says when NATS does not answer. Every turn of an outage fails: as a warning each, a lease of 5 s made some
 * two thousand identical lines an hour. What is said backs off (`OutageWarnings`: the first failure at once, then
 * after doubling pauses up to a minute, with how many turns failed since the line before); the first turn NATS
 * answers again is said once, with the whole outage. Only what is said changes: every turn still bids, at the same
 * times, and the lease's holding and fencing are as they were.
 */
export class LeaseCampaign {
  private readonly warnings: OutageWarnings;

  constructor(
    private readonly contend: () => Promise<boolean>,
    logger: Pick<Logger, 'log' | 'warn'>,
    now?: () => number,
  ) {
    this.warnings = new OutageWarnings(logger, 'projector lease: NATS answers again', now);
  }

  /** Bids for the lease; a failure is counted, and said when due. */
  async turn(): Promise<void> {
    let answered: boolean;
    try {
      answered = await this.contend();
    } catch (error) {
      this.failed(error, 'lease not renewed');
      return;
    }
    // A turn that asked nothing (the last bid still under way) does not tell that NATS answers.
    if (answered) this.warnings.answered();
  }

  /** A bid that failed (a turn's, or the start's): said when it is the outage's first, or when the pause is over. */
  failed(error: unknown, msg: string): void {
    this.warnings.failed(error, msg);
  }
}
