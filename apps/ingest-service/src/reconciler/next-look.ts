import type { OpenPayment } from '@app/payment-domain';
import type { RetrySettings } from './due-payments';

export interface LookSettings {
  /** After a session's expiry, how long Dintero's own report is waited for (`RECONCILER_GRACE_SECONDS`). */
  readonly graceMs: number;
  /** How long after its deadline an open payment is handed to a person (`RECONCILER_REVIEW_AFTER_SECONDS`). */
  readonly reviewAfterMs: number;
  /** The shortest pause between two looks at a payment still open. */
  readonly retryMs: number;
  /** The longest pause between two looks at a payment Dintero still cannot settle. */
  readonly maxRetryMs: number;
}

/**
 * When to look again at a payment still open. A session still running is left to Dintero's own report
 * until its expiry and the grace; a transaction Dintero calls UNKNOWN has no session left to wait for, so
 * it is asked about again with a doubling pause. Either is looked at no later than when it is due for a person.
 * A session whose creation Dintero never answered is no report to wait for: it is asked about with a pause that
 * grows with its age (`unansweredAskedAgainAt`) while the session runs, and last at its end and the grace.
 */
export function nextLook(payment: OpenPayment, now: number, settings: LookSettings): RetrySettings {
  const reviewAt = payment.flaggedForReviewAt === undefined ? reviewAtOf(payment, settings) : undefined;
  const untilReview = reviewAt === undefined ? 0 : reviewAt - now;
  const maxMs = untilReview > 0 ? Math.min(settings.maxRetryMs, untilReview) : settings.maxRetryMs;
  const baseMs = Math.min(settings.retryMs, maxMs);
  if (payment.status === 'outcome_unknown' && payment.unknownSince !== undefined) return { baseMs, maxMs };
  const expiresAt = Date.parse(payment.expiresAt);
  const sessionOver = expiresAt + settings.graceMs;
  if (payment.status === 'outcome_unknown' && now < sessionOver) {
    // Dintero's answer to the session's creation never came, and it showed nothing yet: its session may be prompting,
    // and a card presented may be captured with every delivery lost. Asked again with a growing pause, not only at
    // the session's end: an outcome is recorded as soon as Dintero shows one, and a session found is learned (so a
    // cancel the POS asked for meanwhile reaches it). Its silence is read as a no at the session's end, as before:
    // only while the session runs, since a look past its expiry that finds nothing records it expired, and one inside
    // the grace would not wait for Dintero's report of a card presented at the last moment.
    const sentAt = Date.parse(payment.sessionCreationStartedAt ?? payment.requestedAt);
    const again = now < expiresAt ? unansweredAskedAgainAt(sentAt, expiresAt, now, settings) : sessionOver;
    const pause = (again < expiresAt ? again : sessionOver) - now;
    return { baseMs: pause, maxMs: pause };
  }
  return { baseMs, maxMs, notBefore: sessionOver };
}

/**
 * When an open payment is due for a person: `RECONCILER_REVIEW_AFTER_SECONDS` after Dintero first called its
 * transaction UNKNOWN, or after its session (and the grace) ended while Dintero keeps its transaction initiated,
 * on hold or authorised (a terminal that died mid-payment, a capture Dintero keeps retrying). Undefined for
 * one that can still end by itself.
 */
export function reviewAtOf(payment: OpenPayment, settings: LookSettings): number | undefined {
  if (payment.status === 'outcome_unknown')
    return payment.unknownSince === undefined ? undefined : Date.parse(payment.unknownSince) + settings.reviewAfterMs;
  if (payment.transactionId === undefined) return undefined;
  return sessionReviewAt(payment, settings);
}

/** `RECONCILER_REVIEW_AFTER_SECONDS` after the payment's session, and the grace, ended. */
export function sessionReviewAt(payment: OpenPayment, settings: LookSettings): number {
  return Date.parse(payment.expiresAt) + settings.graceMs + settings.reviewAfterMs;
}

/**
 * When Dintero is asked again about a call whose answer never came, before `silenceIsNoAt`, the deadline where its
 * silence can be read as a no: Dintero may have acted on it any time until then, and with every delivery lost
 * nothing but a look may ever tell. The pause is the time since it was sent (so doubling, from the retry pause, at
 * most `maxRetryMs`): a few looks in the window, not one early look and then none until the window is over. The
 * last look is at the deadline itself; past it, a retry pause on.
 */
export function unansweredAskedAgainAt(
  sentAt: number,
  silenceIsNoAt: number,
  now: number,
  { retryMs, maxRetryMs }: Pick<LookSettings, 'retryMs' | 'maxRetryMs'>,
): number {
  const pause = Math.min(Math.max(now - sentAt, retryMs), maxRetryMs);
  return Math.min(now + pause, silenceIsNoAt > now ? silenceIsNoAt : now + retryMs);
}
