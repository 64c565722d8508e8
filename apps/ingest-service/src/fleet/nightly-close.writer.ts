import type { Logger } from '@nestjs/common';
import { handleCommand, readState } from '@app/event-store';
import { DomainError, operationDecider, operationStream } from '@app/payment-domain';
import { OutageWarnings, operationMetadata, startOperation, type PaymentMetrics } from '@app/platform';
import { ENDED_WITHOUT_CLOSING, type CloseAttempt } from './close-attempt';
import { claimCloseAttempt, settleDayAttempts } from './close-day-claims';
import { VOIDED, recordedReason } from './close-give-up-reasons';
import { closeDayKey, closeOperationId } from './close-schedule';
import { CloseStartFailures, type FailedStarts } from './close-start-failures';
import type { LeasedLogDependencies } from './leased-log-worker';
import { CORRELATION_ID, KEEP_DAYS_MS, type NightlyCloseIndex } from './nightly-close-index';

/** How soon a close of a busy terminal is tried again. */
const BUSY_RETRY_MS = 15_000;

/**
 * What the nightly close writes, for `NightlyClose`: the attempts of a terminal day's close (claimed on the day's
 * stream, recorded, sent to Dintero) and the give-ups of its days, noting how each stands in the index; and the failed
 * starts and busy terminals it keeps in NATS.
 */
export class NightlyCloseWriter {
  private readonly store: LeasedLogDependencies['store'];
  private readonly dintero: LeasedLogDependencies['dintero'];
  private readonly config: LeasedLogDependencies['config'];
  private readonly nats: LeasedLogDependencies['nats'];
  /** The failed starts kept in NATS, opened at the first that is needed; undefined while it could not be. */
  private failures: Promise<CloseStartFailures | undefined> | undefined;
  /**
   * What NATS failed of the notes (their bucket not opened, a read, a write), said backing off: while NATS was gone,
   * a warning each was one for every terminal with a missed day in every round, and for every close started.
   */
  private readonly notesWarnings: OutageWarnings;

  constructor(
    dependencies: LeasedLogDependencies,
    private readonly metrics: PaymentMetrics,
    private readonly logger: Logger,
    private readonly index: NightlyCloseIndex,
    /** The clock of the pauses between warnings of the notes (`OutageWarnings`). */
    now?: () => number,
  ) {
    ({ store: this.store, dintero: this.dintero, config: this.config, nats: this.nats } = dependencies);
    this.notesWarnings = new OutageWarnings(logger, 'the nightly close’s notes in NATS answer again', now);
  }

  /** The failed starts kept in NATS; when NATS is out of reach, none (counted in memory only), and tried again next time. */
  startFailures(): Promise<CloseStartFailures | undefined> {
    const { natsPrefix, natsReplicas } = this.config;
    this.failures ??= CloseStartFailures.open(this.nats, natsPrefix, KEEP_DAYS_MS, natsReplicas).then(
      (failures) => {
        this.notesWarnings.answered();
        return failures;
      },
      (error: unknown) => {
        this.failures = undefined;
        this.notesWarnings.failed(error, 'could not open the nightly close’s failed starts (NATS): counted in memory', {
          correlationId: CORRELATION_ID,
        });
        return undefined;
      },
    );
    return this.failures;
  }

  /**
   * The notes NATS keeps of an attempt (`CloseStartFailures.of`): null when NATS does not answer, undefined when its
   * bucket could not be opened (counted in memory).
   */
  async notesOf(operationId: string, log: Readonly<Record<string, unknown>>): Promise<FailedStarts | null | undefined> {
    const failures = await this.startFailures();
    if (!failures) return undefined;
    const line = { ...log, correlationId: CORRELATION_ID };
    return this.inNats(failures.of(operationId), 'could not read a nightly close’s notes', line, null);
  }

  /** What `asked` of the notes in NATS gives, or `failedAs` when NATS fails it (said backing off: `notesWarnings`). */
  private inNats<T, F>(
    asked: Promise<T>,
    msg: string,
    log: Readonly<Record<string, unknown>>,
    failedAs: F,
  ): Promise<T | F> {
    return this.notesWarnings.answerOf(() => asked, failedAs, msg, log, {});
  }

  async close(
    target: {
      storeId: string;
      terminalId: string;
      businessDay: string;
      attempt: number;
      key: string;
      dinteroTerminalId: string;
    },
    now: number,
  ): Promise<void> {
    const { storeId, terminalId, businessDay, attempt, key, dinteroTerminalId } = target;
    const operationId = closeOperationId(storeId, terminalId, businessDay, attempt);
    const log = { storeId, terminalId, operationId, businessDay, attempt, correlationId: CORRELATION_ID };
    // Given up already (by another instance, and not yet followed here): no attempt after a give-up. On the terminal
    // day's stream, or on the attempt's own where an earlier version recorded it.
    const day = await readState(
      this.store,
      operationStream(closeDayKey(storeId, terminalId, businessDay)),
      operationDecider,
    );
    // Recorded already (by another instance, or before a restart, and not yet followed here): not again.
    const { state: recorded } = await readState(this.store, operationStream(operationId), operationDecider);
    if (day.state.givenUp || recorded.givenUp) {
      this.index.closes.set(key, { businessDay, attempt, status: 'given_up', notBefore: 0 });
      return;
    }
    // Voided by a give-up of the day whose own append has not been read here (or never landed: its instance stopped
    // between the two writes): never to be recorded, so given up, by this instance's next round unless it is already.
    if (recorded.status === 'none' && recorded.voided) {
      this.index.closes.set(key, { businessDay, attempt, status: 'refused', notBefore: 0, reason: VOIDED });
      return;
    }
    if (recorded.status !== 'none') {
      this.metrics.nightlyCloses.inc({ result: 'recorded' });
      this.index.closeOf.set(operationId, { key, attempt });
      const notBefore = now + this.config.nightlyCloseRetrySeconds * 1000;
      const reason = recorded.reason === undefined ? {} : { reason: recorded.reason };
      this.index.closes.set(key, { businessDay, attempt, status: recorded.status, notBefore, ...reason });
      return;
    }
    // Started and failed that many times already, before a restart or on another instance: given up, not tried again.
    const failures = await this.startFailures();
    const failed =
      failures &&
      (await this.inNats(failures.of(operationId), 'could not read a nightly close’s failed starts', log, undefined));
    if (failed && failed.count >= this.config.nightlyCloseMaxAttempts) {
      const reason = failed.reason === '' ? {} : { reason: failed.reason };
      this.index.closes.set(key, {
        businessDay,
        attempt,
        status: 'unstarted',
        notBefore: 0,
        failedStarts: failed.count,
        ...reason,
      });
      return;
    }
    const requestedAt = new Date(now);
    try {
      // Claimed on the day's stream first, where the day's give-up goes: the log orders the two, and whichever lands
      // second sees the first (the claim refused on a day given up; the give-up, while the attempt may yet run).
      await claimCloseAttempt(this.store, target, attempt, requestedAt.toISOString());
      const started = await startOperation(
        this.store,
        this.dintero,
        {
          operationId,
          storeId,
          terminalId,
          dinteroTerminalId,
          operation: 'end_of_day',
          claimId: operationId,
          requestedBy: CORRELATION_ID,
          requestedAt: requestedAt.toISOString(),
          expiresAt: new Date(now + this.config.operationClaimSeconds * 1000).toISOString(),
          businessDay,
        },
        CORRELATION_ID,
      );
      this.index.closeOf.set(operationId, { key, attempt });
      const known = this.index.closes.get(key);
      // The log's news may have arrived first (the follower saw it end): the later word stands.
      if (known?.attempt === attempt && known.status !== 'requested') return;
      const retryAt = ENDED_WITHOUT_CLOSING.has(started.status) ? now + this.config.nightlyCloseRetrySeconds * 1000 : 0;
      const reason = started.reason === undefined ? {} : { reason: started.reason };
      this.index.closes.set(key, { businessDay, attempt, status: started.status, notBefore: retryAt, ...reason });
      this.metrics.nightlyCloses.inc({ result: 'started' });
      this.logger.log({ ...log, status: started.status }, 'nightly close started');
    } catch (error) {
      if (error instanceof DomainError && error.details.givenUp === true) {
        // Given up (by another instance) since this one looked: no attempt after a give-up.
        this.index.closes.set(key, { businessDay, attempt, status: 'given_up', notBefore: 0 });
        return;
      }
      if (error instanceof DomainError && error.code === 'TERMINAL_BUSY') {
        // A payment or refund holds the terminal: closed once it is free.
        this.metrics.nightlyCloses.inc({ result: 'busy' });
        const before = this.index.closes.get(key);
        this.index.closes.set(key, { businessDay, attempt, status: 'busy', notBefore: now + BUSY_RETRY_MS });
        // Noted in NATS (once an attempt), for a restart to give the close up as held up by a busy terminal, should
        // the next day's close fall due first: the log never hears of it.
        if (failures && (before?.attempt !== attempt || before.status !== 'busy'))
          await this.inNats(
            failures.noteBusy(operationId),
            'could not note a busy terminal’s nightly close in NATS',
            log,
            undefined,
          );
        return;
      }
      if (error instanceof DomainError && error.details.voided === true) {
        // Voided by another instance's give-up of the day between this one's look and its request: nothing failed,
        // and the day is given up by that instance (or, should its give-up not land, by this one's next round).
        this.index.closes.set(key, { businessDay, attempt, status: 'refused', notBefore: 0, reason: VOIDED });
        this.logger.log({ ...log }, 'nightly close attempt voided by a give-up of its day meanwhile: not started');
        return;
      }
      const notBefore = now + this.config.nightlyCloseRetrySeconds * 1000;
      this.metrics.nightlyCloses.inc({ result: 'failed' });
      if (error instanceof DomainError) {
        // Refused by the domain (the terminal is another store's, say): the same request is refused again.
        const reason = `could not be started: ${error.code}: ${error.message}`;
        this.index.closes.set(key, { businessDay, attempt, status: 'refused', notBefore, reason });
        this.logger.warn({ ...log, err: error }, 'a nightly close was refused; giving it up');
        return;
      }
      // A passing failure (the log out of reach): the same attempt again, a bounded number of times, counted in NATS
      // so that the bound holds across restarts and instances (in memory too, for when NATS is out of reach as well).
      const before = this.index.closes.get(key);
      const inMemory =
        (before?.attempt === attempt && before.status === 'unstarted' ? (before.failedStarts ?? 0) : 0) + 1;
      const reason = `could not be started: ${error instanceof Error ? error.message : String(error)}`;
      const counted =
        failures &&
        (await this.inNats(
          failures.add(operationId, reason),
          'could not count a nightly close’s failed start in NATS',
          log,
          undefined,
        ));
      const failedStarts = Math.max(inMemory, counted ?? 0);
      this.index.closes.set(key, { businessDay, attempt, status: 'unstarted', notBefore, reason, failedStarts });
      this.logger.warn({ ...log, err: error, failedStarts }, 'could not start a nightly close; trying again');
    }
  }

  /**
   * Records that the close is given up, for the store day: once, whichever instance or restart gets here first, and
   * whatever attempt each knows it at. The give-up is appended to the terminal day's own stream (`closeDayKey`, the
   * same on every instance), at the revision read: a second writer conflicts, reads the first's give-up, and the
   * operation's decider records nothing, so it holds through the log alone, NATS out of reach or not. Every attempt is
   * claimed on that stream before it is recorded (`claimCloseAttempt`): a claim the give-up read is settled first (its
   * attempt ended, or voided before it was recorded: `settleDayAttempts`), and one that lands after the read refuses
   * the append, so the day is never both given up and closed or under way, with or without the lease. When it cannot be
   * recorded, the next round tries again. `late`: found only after it fell due (the next day's close falling due, or the
   * close time of a day out of use), with no instance known to run the nightly close then (no trace of it, or before
   * this instance started); the reason says so and when, beside the day it concerns. Whether it is in the log
   * now (recorded, or given up before).
   */
  async giveUp(
    target: { storeId: string; terminalId: string; businessDay: string; key: string },
    close: CloseAttempt,
    why: string,
    now: number,
    late = false,
  ): Promise<boolean> {
    const { storeId, terminalId, businessDay, key } = target;
    const attempt = close.attempt;
    const operationId = closeOperationId(storeId, terminalId, businessDay, attempt);
    const at = new Date(now).toISOString();
    // The reason is kept to 500 characters, the part saying it was found late whole.
    const reason = recordedReason(why, late, at);
    const log = { storeId, terminalId, operationId, businessDay, attempt, reason, correlationId: CORRELATION_ID };
    try {
      // The attempts as the log has them: one under way at Dintero may yet complete, and one completed is closed, so
      // neither is given up; one claimed and not recorded is voided, never to be. Given up already: on the day's stream,
      // or on an attempt's own, where an earlier version recorded it (during a rolling upgrade): that is the day's one.
      const found = await settleDayAttempts(this.store, target, attempt, at);
      if (found.kind === 'given_up') {
        this.index.closes.set(key, { businessDay, attempt, status: 'given_up', notBefore: 0 });
        return true;
      }
      if (found.kind === 'completed') {
        this.index.closes.set(key, { businessDay, attempt: found.attempt, status: 'completed', notBefore: 0 });
        return true;
      }
      if (found.kind === 'under_way') {
        this.logger.warn(
          { ...log, underWay: found.attempt, status: found.status },
          'nightly close under way: not given up',
        );
        return false;
      }
      // Given up at the latest attempt the log has, claimed or recorded, where this instance may know an earlier one
      // (another instance claimed the next, or this one did before a restart: claims are not followed here). That one
      // counts among the attempts made only when it was recorded: voided (its terminal busy, its start failed or was
      // refused) or never claimed, it was not made, and the one before it was (an attempt is started only after the one
      // before it ended without closing). 1 when not even the first could be made, as the event has always said.
      const last = Math.max(attempt, ...found.settledAttempts);
      const givenUpAt = closeOperationId(storeId, terminalId, businessDay, last);
      const attempts = found.made.includes(last) ? last : Math.max(1, last - 1);
      const { events } = await handleCommand(
        this.store,
        operationStream(closeDayKey(storeId, terminalId, businessDay)),
        operationDecider,
        {
          type: 'GiveUpClose',
          data: {
            operationId: givenUpAt,
            storeId,
            terminalId,
            businessDay,
            attempts,
            reason,
            at,
            settledAttempts: found.settledAttempts,
          },
        },
        { metadata: operationMetadata({ operationId: givenUpAt, storeId, terminalId, businessDay }, CORRELATION_ID) },
      );
      this.index.closes.set(key, { businessDay, attempt: attempts, status: 'given_up', notBefore: 0 });
      // Nothing recorded: another instance (or this one, before a restart) gave it up first.
      if (events.length === 0) return true;
      this.metrics.nightlyCloses.inc({ result: 'given_up' });
      this.logger.warn({ ...log, operationId: givenUpAt, attempt: last, attempts }, 'nightly close given up');
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.details.claimedAttempts !== undefined) {
        // An attempt was claimed (by another instance) since the look: it may yet close the day.
        this.logger.warn({ ...log, err: error }, 'nightly close attempt claimed meanwhile: not given up');
        return false;
      }
      this.logger.warn({ ...log, err: error }, 'could not record a nightly close given up; trying again');
      return false;
    }
  }
}
