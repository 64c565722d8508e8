import type { Logger } from '@nestjs/common';
import { EventStoreUnavailableError } from '@app/event-store';
import { natsDoesNotAnswer, stopThisProcess } from '@app/messaging';
import type { AnotherLogCheck } from '../nats/another-log-check';
import type { LogSubscriptions } from './log-subscriptions';
import { OutageWarnings } from './outage-warnings';

/** The pause before the second try of a start, doubled at each try after it. */
export const FIRST_START_RETRY_MS = 500;
/** The longest pause between two tries of a start. */
export const LONGEST_START_RETRY_MS = 30_000;
/**
 * The longest pause between two warnings of a start that fails for long. Longer than the other workers' minute: the
 * tries are already 30 s apart, so a minute would only halve the lines, while `/health` and
 * `event_log_subscription_up` say all along that the worker has not started.
 */
export const LONGEST_START_WARNING_PAUSE_MS = 600_000;

/** Whether a start's failure is the log or NATS not answering: an outage, whose warnings back off. */
function logOrNatsAway(error: unknown): boolean {
  return error instanceof EventStoreUnavailableError || natsDoesNotAnswer(error);
}

/**
 * Failures of a start that no try mends (a NATS prefix taken by another log's engine): never tried again. At the first
 * try the start rejects, and the app does not start, as it would without retries; at a later one, the app runs by
 * then, and is stopped (`stop`).
 */
export interface StartRefusals {
  /** Whether the start's failure is a refusal, not a read that failed. */
  readonly refused: (error: unknown) => boolean;
  /**
   * Stops the app that runs on a refusal found at a later try, the refusal logged as an error first. By default as
   * `stopOnNatsLoss` stops it (`stopThisProcess`): exit code 1 and SIGTERM to itself once the app listens for it, so
   * that it stops cleanly and its supervisor sees why.
   */
  readonly stop?: (refusal: unknown) => void;
}

/**
 * The start of a background worker that reads the log or NATS as it starts (its checkpoint, the event it was made at,
 * its leases): the log briefly away (KurrentDB electing a leader, a network break, SQLite's file busy) fails it.
 * Rejected from `onApplicationBootstrap`, that failure stopped the whole app (and `apps/engine`'s three with it); here
 * it is tried again, with a doubling pause up to `LONGEST_START_RETRY_MS`, each failure logged as a warning with its
 * error, while the app runs on and `/health` names the worker (`LogSubscriptions.notStarted`) until it follows the
 * log. The start tried is the whole of it, so that the worker, once started, is as one whose first try worked. A
 * refusal (`StartRefusals`) is not tried again.
 *
 * A warning at each try made some 120 lines an hour for each worker for as long as the log or NATS was away. The
 * first failure is a warning with its error, at once; the next ones back off as the other workers' outages do
 * (`OutageWarnings`: after pauses doubling from a second, here up to `LONGEST_START_WARNING_PAUSE_MS`, each line with
 * its try, how many failed since the line before and for how long), and the start at last is said once, with its try.
 * Only the log or NATS not answering backs off; any other failure (a bug) is said at every try, as is one found as
 * the app stops. The tries themselves, and `/health`, are as they were.
 */
export class StartRetries {
  private stopped = false;
  private trying: Promise<void> = Promise.resolve();
  private pause: { readonly timer: NodeJS.Timeout; readonly end: () => void } | undefined;
  /** Ends the wait of `startOnceChecked` for the check, at `stop`. */
  private endWait: (() => void) | undefined;
  /** The failed tries, said backing off (`tried`). */
  private readonly warnings: OutageWarnings;

  constructor(
    /** The worker's follower's name (`LogSubscriptions.follower`), which `/health` gives. */
    private readonly name: string,
    private readonly subscriptions: LogSubscriptions,
    private readonly logger: Pick<Logger, 'log' | 'warn' | 'error'>,
    private readonly refusals?: StartRefusals,
  ) {
    this.warnings = new OutageWarnings(logger, this.startedAtLast, undefined, {
      outage: logOrNatsAway,
      longestPauseMs: LONGEST_START_WARNING_PAUSE_MS,
    });
  }

  /** The line of a start after failed tries. */
  private get startedAtLast(): string {
    return `${this.name} started at last`;
  }

  /**
   * Tries `start` once, and resolves once that try has ended: started, or failed and tried again from then on, in the
   * background, until a try starts it or `stop`. Rejects with a refusal at that first try.
   */
  async start(start: () => Promise<void>): Promise<void> {
    const first = this.tried(start, 1, FIRST_START_RETRY_MS);
    this.trying = first.then(
      () => undefined,
      () => undefined,
    );
    if ((await first) || this.stopped) return;
    this.trying = this.again(start);
  }

  /**
   * `start` as `start` tries it, but only once the app has made sure that no engine of another log runs on its NATS
   * prefix (`check`): for a worker that writes the log or NATS (a close, a settlement, a lease, a checkpoint), which
   * would write them for an engine that no POS system or read model of the prefix uses. Made already (the log
   * answered), as `start`: the first try ends before this resolves. Not yet (the log out of reach as the app starts),
   * this resolves at once and the first try comes when the check is made, the app starting on meanwhile (in
   * `apps/engine` the check is the projector's, whose app starts after ingest's). A stop before then ends the wait,
   * and nothing is tried. A refusal at that first try stops the app, which runs by then, as one at a later try does.
   */
  async startOnceChecked(check: AnotherLogCheck, start: () => Promise<void>): Promise<void> {
    if (check.checked) return this.start(start);
    const stopped = new Promise<boolean>((end) => (this.endWait = () => end(false)));
    this.trying = Promise.race([check.whenChecked.then(() => true), stopped]).then(async (checked) => {
      this.endWait = undefined;
      if (!checked || this.stopped) return;
      await this.start(start).catch((refusal: unknown) => this.refusedLater(refusal, 1));
    });
  }

  /**
   * Ends the tries: a wait for the check or a pause ends at once, a try under way is waited for (the worker's stop
   * then stops what it began).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.endWait?.();
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.end();
    }
    await this.trying;
  }

  private async again(start: () => Promise<void>): Promise<void> {
    for (let attempt = 2, pauseMs = FIRST_START_RETRY_MS; ; attempt++) {
      await new Promise<void>((end) => (this.pause = { timer: setTimeout(end, pauseMs), end }));
      this.pause = undefined;
      if (this.stopped) return;
      pauseMs = Math.min(pauseMs * 2, LONGEST_START_RETRY_MS);
      let started: boolean;
      try {
        started = await this.tried(start, attempt, pauseMs);
      } catch (refusal) {
        this.refusedLater(refusal, attempt);
        return;
      }
      if (started) {
        // Said with the outage's count and length when the log or NATS was away; failures of no outage were each said.
        if (this.warnings.failing) this.warnings.answered({ attempt });
        else this.logger.log({ attempt }, this.startedAtLast);
        return;
      }
      if (this.stopped) return;
    }
  }

  /** A refusal at a later try: the app, running by then, is stopped, unless it is stopping already. */
  private refusedLater(refusal: unknown, attempt: number): void {
    this.logger.error(
      { err: refusal, attempt },
      this.stopped
        ? `${this.name} refused to start, and the app is stopping`
        : `${this.name} refused to start once the log answered: stopping the app`,
    );
    if (!this.stopped) (this.refusals?.stop ?? stopThisProcess)(refusal);
  }

  /**
   * Whether `start` worked; failed, said (backing off, `warnings`), and `/health` told, with when it is tried again.
   * A refusal is thrown, neither said here nor tried again.
   */
  private async tried(start: () => Promise<void>, attempt: number, retryInMs: number): Promise<boolean> {
    try {
      await start();
      this.subscriptions.started(this.name);
      return true;
    } catch (error) {
      if (this.refusals?.refused(error)) throw error;
      this.subscriptions.notStarted(this.name);
      // The last line of the tries, said even within an outage's pause.
      if (this.stopped)
        this.logger.warn(
          { err: error, attempt },
          `${this.name} could not start, and the app is stopping: not tried again`,
        );
      else
        // Said as what it is: a failure of neither the log nor NATS (a bug) was said to be them.
        this.warnings.failed(
          error,
          logOrNatsAway(error)
            ? `${this.name} could not start (the log or NATS did not answer): trying again`
            : `${this.name} could not start: trying again`,
          { attempt, retryInMs },
        );
      return false;
    }
  }
}
