import { operationOpen, type OperationStatus } from '@app/payment-domain';

/** A terminal's close of one day: its latest attempt, how that stands, and when it may be tried again. */
export interface CloseAttempt {
  readonly businessDay: string;
  readonly attempt: number;
  /**
   * The operation's status, or why it has none: `busy` (a payment or refund held the terminal), `refused` (the
   * domain refused to start it: it would be refused again), `unstarted` (it could not be started for a passing
   * reason, the log out of reach say), `given_up` (the give-up is in the log).
   */
  readonly status: OperationStatus | 'busy' | 'refused' | 'unstarted' | 'given_up';
  /** Not before then: after a busy terminal, or a start that failed (this instance's notes, with its own pause). */
  readonly notBefore: number;
  /**
   * When the attempt ended without closing, as the log has it. The next waits `NIGHTLY_CLOSE_RETRY_SECONDS` from then
   * (`nextAttempt`), as the instance about to start it is set: the time is kept rather than the pause worked out, so
   * that what the log folds to (and the checkpoint keeps) is the same whatever the settings of the instance folding.
   */
  readonly endedAt?: number;
  /** Why the attempt ended without closing, or could not start: the give-up's reason. */
  readonly reason?: string;
  /** Starts of this attempt that failed for a passing reason, one after another. */
  readonly failedStarts?: number;
}

/** Closes that ended without the terminal closing its batch: tried again, but for one Dintero refused (`giveUpReason`). */
export const ENDED_WITHOUT_CLOSING = new Set<CloseAttempt['status']>(['failed', 'timed_out', 'rejected', 'expired']);

/**
 * Why the close is to be given up now, if it is: Dintero or the domain refused it (another attempt would be refused
 * too), its last attempt ended without closing, or it could not be started `maxAttempts` times.
 */
export function giveUpReason(close: CloseAttempt, maxAttempts: number): string | undefined {
  if (close.status === 'rejected' || close.status === 'refused') return close.reason ?? close.status;
  if (close.status === 'unstarted' && (close.failedStarts ?? 0) >= maxAttempts) return close.reason ?? close.status;
  if (ENDED_WITHOUT_CLOSING.has(close.status) && close.attempt >= maxAttempts) return close.reason ?? close.status;
  return undefined;
}

/** What `nextAttempt` needs of the configuration. */
export interface CloseRetrySettings {
  /** `NIGHTLY_CLOSE_MAX_ATTEMPTS`. */
  readonly maxAttempts: number;
  /** `NIGHTLY_CLOSE_RETRY_SECONDS`, in milliseconds. */
  readonly retryMs: number;
}

/**
 * The most attempts `NIGHTLY_CLOSE_MAX_ATTEMPTS` allows: the index knows an attempt up to it as one of the day's close
 * (`closeOperationId`), whatever the folding instance's own setting, so that instances set apart (a rolling change of
 * the setting) fold the same log alike.
 */
export const MAX_CLOSE_ATTEMPTS = 20;

/** The attempt to start now, if any: the first, or the next after one that did not complete. */
export function nextAttempt(
  close: CloseAttempt | undefined,
  now: number,
  { maxAttempts, retryMs }: CloseRetrySettings,
): number | undefined {
  if (!close) return 1;
  if (now < close.notBefore) return undefined;
  if (close.endedAt !== undefined && now < close.endedAt + retryMs) return undefined;
  if (close.status === 'busy' || close.status === 'unstarted') return close.attempt;
  if (!ENDED_WITHOUT_CLOSING.has(close.status)) return undefined;
  return close.attempt < maxAttempts ? close.attempt + 1 : undefined;
}

/**
 * Where a due close stands, for the gauge: closed, under way, waiting to start (again: after a busy terminal, or
 * for the pause before its next attempt), or given up (its last attempt ended without closing).
 */
export function stateOf(
  close: CloseAttempt | undefined,
  maxAttempts: number,
): 'completed' | 'running' | 'waiting' | 'failed' {
  if (close?.status === 'completed') return 'completed';
  if (close && operationOpen(close.status)) return 'running';
  const givenUp =
    close !== undefined && (close.status === 'given_up' || giveUpReason(close, maxAttempts) !== undefined);
  return givenUp ? 'failed' : 'waiting';
}
