import type { Logger } from '@nestjs/common';
import { natsDoesNotAnswer } from '@app/messaging';

/** The pause after an outage's first warning before the next, doubled after each warning. */
export const FIRST_WARNING_PAUSE_MS = 1_000;
/** The longest pause between two warnings of one outage. */
export const LONGEST_WARNING_PAUSE_MS = 60_000;

/** What a caller may set of its outages; by default those of NATS, said at least once a minute. */
export interface OutageWarningsOptions {
  /** Which failures are an outage, backed off (by default NATS not answering, `natsDoesNotAnswer`). */
  readonly outage?: (error: unknown) => boolean;
  /** The longest pause between two warnings of one outage (by default `LONGEST_WARNING_PAUSE_MS`). */
  readonly longestPauseMs?: number;
}

/** An outage as the caller sees it: from its first failure until something is answered again. */
interface Outage {
  readonly since: number;
  failures: number;
  /** Failed since the last warning, that one included. */
  failedSinceLastLine: number;
  saidAt: number;
  pauseMs: number;
  /** The kinds of failure said in this outage (`kindOf`). */
  readonly kindsSaid: Set<string>;
}

/**
 * A failure's kind, to tell a new one within an outage: its class and its code (a NATS timeout, NATS closed, the log
 * away), not its message, which may number each try.
 */
function kindOf(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number'
    ? `${error.constructor.name}:${code}`
    : error.constructor.name;
}

/**
 * What a worker says while something it asks on a timer (NATS: a lease renewed, a lease taken, a read) fails every
 * time. A warning each made thousands of identical lines an hour during an outage, which buried the rest and filled
 * the disk. The first failure is said at once (it matters: a writer that cannot renew stops writing within a lease),
 * then again after a pause that doubles from `FIRST_WARNING_PAUSE_MS` up to `LONGEST_WARNING_PAUSE_MS`, each line
 * with how many failed since the one before (`failedSinceLastLine`) and for how long (`failingForMs`); the first
 * answer after an outage is said once, with the whole outage's count. Only what is said changes: the caller still
 * asks at the same times. One instance per kind of failure (the projector's lease, the check for an older fold, a
 * worker's item leases), so that one outage does not hide another's first line. Only NATS not answering
 * (`natsDoesNotAnswer`) is an outage, unless the caller says otherwise (`OutageWarningsOptions.outage`: a worker's
 * start, which reads the log too): any other failure (a write refused, a revision conflict, a bug) is said at once,
 * every time, and counts for no outage; within an outage's pause it was left unsaid, or said up to a minute late as
 * one more failure of NATS, and with NATS back and the failure left it held the outage open. A kind of outage not yet
 * said in this one (`kindOf`: NATS away, then the log away) is said at once too, without waiting out the pause, which
 * goes on as it was: a start's outage that moved from NATS to the log showed the log's error only after up to ten
 * minutes.
 *
 * A few lines of our own: the npm packages that back off (`backoff`, `exponential-backoff`) schedule retries of a
 * call, and throttles (`lodash.throttle`) drop calls at a fixed rate on their own timers. Here the caller's timer sets
 * when to try, and what is wanted is which failures to say and the count of those not said, on a clock a test sets.
 */
export class OutageWarnings {
  private outage: Outage | undefined;

  constructor(
    private readonly logger: Pick<Logger, 'log' | 'warn'>,
    /** The line said once when an outage ends. */
    private readonly answersAgain: string,
    private readonly now: () => number = () => performance.now(),
    private readonly options: OutageWarningsOptions = {},
  ) {}

  /** Whether the last thing asked failed (an outage under way). */
  get failing(): boolean {
    return this.outage !== undefined;
  }

  /**
   * A failure: NATS not answering is said when it is the outage's first, or when the pause is over; any other at once.
   * `fields` go on its line.
   */
  failed(error: unknown, msg: string, fields: Readonly<Record<string, unknown>> = {}): void {
    if (!(this.options.outage ?? natsDoesNotAnswer)(error)) {
      this.logger.warn({ ...fields, err: error }, msg);
      return;
    }
    const now = this.now();
    const outage = this.outage ?? {
      since: now,
      failures: 0,
      failedSinceLastLine: 0,
      saidAt: now,
      pauseMs: 0,
      kindsSaid: new Set<string>(),
    };
    this.outage = outage;
    outage.failures += 1;
    outage.failedSinceLastLine += 1;
    const kind = kindOf(error);
    const newKind = !outage.kindsSaid.has(kind);
    if (!newKind && now - outage.saidAt < outage.pauseMs) return;
    this.logger.warn(
      { ...fields, err: error, failedSinceLastLine: outage.failedSinceLastLine, failingForMs: now - outage.since },
      msg,
    );
    outage.kindsSaid.add(kind);
    outage.failedSinceLastLine = 0;
    // A new kind said within the pause leaves the pause as it was.
    if (now - outage.saidAt < outage.pauseMs) return;
    outage.saidAt = now;
    outage.pauseMs = Math.min(
      Math.max(outage.pauseMs * 2, FIRST_WARNING_PAUSE_MS),
      this.options.longestPauseMs ?? LONGEST_WARNING_PAUSE_MS,
    );
  }

  /**
   * What `ask` answers, said as the end of an outage if it ends one (`answered`, with `answeredFields`); or
   * `failedAs` when it fails, the failure said as `failed` says it (with `fields`).
   */
  async answerOf<T, F>(
    ask: () => Promise<T>,
    failedAs: F,
    msg: string,
    fields: Readonly<Record<string, unknown>> = {},
    answeredFields: Readonly<Record<string, unknown>> = fields,
  ): Promise<T | F> {
    let answer: T;
    try {
      answer = await ask();
    } catch (error) {
      this.failed(error, msg, fields);
      return failedAs;
    }
    this.answered(answeredFields);
    return answer;
  }

  /** Asked and answered: the end of an outage is said once; the next failure is a first again. */
  answered(fields: Readonly<Record<string, unknown>> = {}): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    this.logger.log(
      {
        ...fields,
        failures: outage.failures,
        failedSinceLastLine: outage.failedSinceLastLine,
        failingForMs: this.now() - outage.since,
      },
      this.answersAgain,
    );
  }
}
