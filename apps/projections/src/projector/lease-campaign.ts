import type { Logger } from '@nestjs/common';

/** The pause after an outage's first warning before the next, doubled after each warning. */
export const FIRST_WARNING_PAUSE_MS = 1_000;
/** The longest pause between two warnings of one outage. */
export const LONGEST_WARNING_PAUSE_MS = 60_000;

/** An outage of NATS as the campaign sees it: from its first failed bid until a bid is answered. */
interface Outage {
  readonly since: number;
  failedTurns: number;
  /** Failed since the last warning, that one included. */
  failedSinceLastLine: number;
  saidAt: number;
  pauseMs: number;
}

/**
 * One turn of the projector's campaign for its lease (`ProjectorLeadership.contend`, every third of a lease), and
 * what it says when NATS does not answer. Every turn of an outage fails: as a warning each, a lease of 5 s made some
 * two thousand identical lines an hour, which buried the rest and filled the disk. The first failure is said at once
 * (it matters: a writer that cannot renew stops writing within a lease), then again after a pause that doubles from
 * `FIRST_WARNING_PAUSE_MS` up to `LONGEST_WARNING_PAUSE_MS`, each line with how many turns failed since the one
 * before; the first turn NATS answers again is said once, with the whole outage. Only what is said changes: every
 * turn still bids, at the same times, and the lease's holding and fencing are as they were.
 *
 * A few lines of our own: the npm packages that back off (`backoff`, `exponential-backoff`) schedule retries of a
 * call, and throttles (`lodash.throttle`) drop calls at a fixed rate on their own timers. Here the lease's timer sets
 * when to try, and what is wanted is which failures to say and the count of those not said, on a clock a test sets.
 */
export class LeaseCampaign {
  private outage: Outage | undefined;

  constructor(
    private readonly contend: () => Promise<boolean>,
    private readonly logger: Pick<Logger, 'log' | 'warn'>,
    private readonly now: () => number = () => performance.now(),
  ) {}

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
    if (answered) this.answered();
  }

  /** A bid that failed (a turn's, or the start's): said when it is the outage's first, or when the pause is over. */
  failed(error: unknown, msg: string): void {
    const now = this.now();
    const outage = this.outage ?? { since: now, failedTurns: 0, failedSinceLastLine: 0, saidAt: now, pauseMs: 0 };
    this.outage = outage;
    outage.failedTurns += 1;
    outage.failedSinceLastLine += 1;
    if (now - outage.saidAt < outage.pauseMs) return;
    this.logger.warn(
      { err: error, failedSinceLastLine: outage.failedSinceLastLine, failingForMs: now - outage.since },
      msg,
    );
    outage.saidAt = now;
    outage.failedSinceLastLine = 0;
    outage.pauseMs = Math.min(Math.max(outage.pauseMs * 2, FIRST_WARNING_PAUSE_MS), LONGEST_WARNING_PAUSE_MS);
  }

  /** NATS answered a bid (taken, renewed, or held by another): the end of an outage is said once. */
  private answered(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    this.logger.log(
      {
        failedTurns: outage.failedTurns,
        failedSinceLastLine: outage.failedSinceLastLine,
        failingForMs: this.now() - outage.since,
      },
      'projector lease: NATS answers again',
    );
  }
}
