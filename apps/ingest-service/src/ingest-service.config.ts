import { Expose } from 'class-transformer';
import { IsOptional, IsString } from 'class-validator';
import { BaseAppConfig, EnvBool, EnvInt, withDintero, withEventStore, withNats } from '@app/platform';
import { MAX_CLOSE_ATTEMPTS } from './fleet/close-attempt';

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

/**
 * NATS carries what several ingest instances share: the reconciler's and the nightly close's checkpoints and the
 * leases on due payments. Ingest connects at start, as every app does; once running, it takes callbacks and webhooks
 * while NATS is away (the reconciler then works without leases), and NATS is not in its `/health`.
 */
export class IngestServiceConfig extends withDintero(withNats(withEventStore(BaseAppConfig))) {
  override readonly port: number = 3001;
  /** Dintero's deliveries come from a few addresses, in bursts: a higher limit than a POS key's. */
  override readonly rateLimitPerMinute: number = 60_000;
  /**
   * A webhook's body is Dintero's whole transaction: its items, again on each capture and refund event, and the
   * terminal's receipt data on each event. The other apps' 64 KiB refused a basket of about 250 lines (413), every
   * attempt of it, and Dintero may delete a subscription whose deliveries keep failing.
   */
  override readonly bodyLimit: number = 2 * 1024 * 1024;

  /** The callback signature secret (`POST /v1/admin/signature`); unset, callbacks are not checked (loud warning). */
  @Expose({ name: 'DINTERO_CALLBACK_SECRET' })
  @IsOptional()
  @IsString()
  readonly callbackSecret?: string;

  /** The webhook subscription's HMAC-SHA1 secret; unset, webhooks are not checked (loud warning). */
  @Expose({ name: 'DINTERO_WEBHOOK_SECRET' })
  @IsOptional()
  @IsString()
  readonly webhookSecret?: string;

  /**
   * How long a webhook about a payment this engine made (its transaction or session carries this engine's callback
   * URL) waits for the log to show that payment, when a read lags behind it (KurrentDB's followers; the embedded log's
   * reads never lag, and there it is not waited for). Still not there after it, the webhook is answered 503, and
   * Dintero delivers it again. Well under Dintero's 60 s wait.
   */
  @EnvInt('WEBHOOK_LOG_WAIT_MS', { min: 0, max: 30_000 })
  readonly webhookLogWaitMs: number = 5_000;

  /**
   * The longest a webhook is handled before it is answered 503 `WEBHOOK_DEADLINE_EXCEEDED` (Dintero delivers it
   * again): a fetch of its transaction from Dintero that hangs (each attempt is bounded by DINTERO_TIMEOUT_MS, but a
   * read is tried three times), a log that does not answer, and the wait for a lagging log (`WEBHOOK_LOG_WAIT_MS`,
   * which ends half a second before it) all count. Under Dintero's own wait for an answer (a minute at worst), after
   * which even a 200 counts as a failure. At the deadline the fetch under way is cut off, as a callback's is.
   */
  @EnvInt('WEBHOOK_DEADLINE_MS', { min: 1_000, max: 55_000 })
  readonly webhookDeadlineMs: number = 30_000;

  /**
   * The longest a callback is handled before it is answered 503 `CALLBACK_DEADLINE_EXCEEDED` (Dintero calls back
   * again after a 5xx): a fetch of its transaction or session from Dintero that hangs (each attempt bounded by
   * DINTERO_TIMEOUT_MS, a read tried three times) and a log that does not answer count. Under Dintero's own 10 s
   * wait for a callback's answer, after which the attempt has failed however it ends. At the deadline the fetch under
   * way is cut off; a write to the log already begun lands, and the retry records nothing twice.
   */
  @EnvInt('CALLBACK_DEADLINE_MS', { min: 1_000, max: 9_500 })
  readonly callbackDeadlineMs: number = 8_000;

  /** Off only where another instance reconciles, or in tests of the delivery paths alone. */
  @EnvBool('RECONCILER_ENABLED')
  readonly reconcilerEnabled: boolean = true;

  /** How often the reconciler looks for payments that are due. */
  @EnvInt('RECONCILER_INTERVAL_MS', { min: 10, max: 600_000 })
  readonly reconcilerIntervalMs: number = 1_000;

  /** How long after a session's expiry Dintero's callback is waited for before Dintero is asked. */
  @EnvInt('RECONCILER_GRACE_SECONDS', { min: 0, max: 86_400 })
  readonly reconcilerGraceSeconds: number = 30;

  /** How long an unknown outcome (session creation, transaction, refund) is left before Dintero is asked. */
  @EnvInt('RECONCILER_UNKNOWN_DELAY_SECONDS', { min: 0, max: 86_400 })
  readonly reconcilerUnknownDelaySeconds: number = 5;

  /**
   * How long a terminal claim may stand with no payment or refund recorded behind it (the command service
   * stopped between the two) before the reconciler releases it.
   */
  @EnvInt('RECONCILER_ORPHAN_CLAIM_SECONDS', { min: 1, max: 86_400 })
  readonly reconcilerOrphanClaimSeconds: number = 60;

  /**
   * How long a transaction may stay UNKNOWN at Dintero before the payment is flagged for a person (the
   * store's documents, the dashboard, `payments_flagged_for_review_total`). Dintero is still asked after.
   */
  @EnvInt('RECONCILER_REVIEW_AFTER_SECONDS', { min: 0, max: 7 * 86_400 })
  readonly reconcilerReviewAfterSeconds: number = 900;

  /** At most this many payments settled per second: Dintero's rate limits are shared with everything else. */
  @EnvInt('RECONCILER_MAX_PER_SECOND', { min: 1, max: 10_000 })
  readonly reconcilerMaxPerSecond: number = 20;

  /**
   * How long a reconciler instance holds a due payment it is asking Dintero about: while it holds it, the
   * other instances leave that payment alone. Longer than one look takes (a few Dintero calls).
   */
  @EnvInt('RECONCILER_LEASE_SECONDS', { min: 1, max: 3_600 })
  readonly reconcilerLeaseSeconds: number = 30;

  /**
   * How often (minutes; 0: never) one reconciler instance lists Dintero's refunded in-person transactions of the last
   * `RECONCILER_REFUND_SWEEP_DAYS` and records the refunds of this engine's payments the log does not have: a
   * Backoffice refund whose webhook Dintero gave up on. Its cost follows the refunds in the window, not the captures.
   */
  @EnvInt('RECONCILER_REFUND_SWEEP_MINUTES', { min: 0, max: 1_440 })
  readonly reconcilerRefundSweepMinutes: number = 60;

  /** How far back (days, by the transaction's `created_at`) the refund sweep lists. */
  @EnvInt('RECONCILER_REFUND_SWEEP_DAYS', { min: 1, max: 400 })
  readonly reconcilerRefundSweepDays: number = 14;

  /**
   * How often Dintero is asked about a terminal that is not `ACTIVE` there yet (being provisioned, waiting
   * for a check-update, inactive), until it is.
   */
  @EnvInt('TERMINAL_STATUS_POLL_SECONDS', { min: 1, max: 86_400 })
  readonly terminalStatusPollSeconds: number = 30;

  /** At most this many terminals' statuses asked of Dintero per second, per instance. */
  @EnvInt('TERMINAL_STATUS_MAX_PER_SECOND', { min: 1, max: 1_000 })
  readonly terminalStatusMaxPerSecond: number = 2;

  /** Whether the ingest service runs each store's nightly close (end-of-day on its terminals). */
  @EnvBool('NIGHTLY_CLOSE_ENABLED')
  readonly nightlyCloseEnabled: boolean = true;

  /** How often the nightly close looks for closes that are due. */
  @EnvInt('NIGHTLY_CLOSE_CHECK_MS', { min: 100, max: 600_000 })
  readonly nightlyCloseCheckMs: number = 10_000;

  /** Over how long after a store's close time its terminals close, each at its own moment. */
  @EnvInt('NIGHTLY_CLOSE_SPREAD_SECONDS', { min: 0, max: 7_200 })
  readonly nightlyCloseSpreadSeconds: number = 600;

  /** At most this many closes started per second, per instance. */
  @EnvInt('NIGHTLY_CLOSE_MAX_PER_SECOND', { min: 1, max: 1_000 })
  readonly nightlyCloseMaxPerSecond: number = 5;

  /** How long after a close that did not complete (timed out, failed) it is tried again. */
  @EnvInt('NIGHTLY_CLOSE_RETRY_SECONDS', { min: 1, max: 86_400 })
  readonly nightlyCloseRetrySeconds: number = 120;

  /** How many times a terminal's close of a day is tried. */
  @EnvInt('NIGHTLY_CLOSE_MAX_ATTEMPTS', { min: 1, max: MAX_CLOSE_ATTEMPTS })
  readonly nightlyCloseMaxAttempts: number = 5;

  /**
   * How many days back a terminal day due and never closed nor given up is looked for (an outage longer than the
   * three days the nightly close keeps closes): back to the terminal's last day the log shows the nightly close at
   * work, no further than this.
   */
  @EnvInt('NIGHTLY_CLOSE_LOOK_BACK_DAYS', { min: 3, max: 366 })
  readonly nightlyCloseLookBackDays: number = 31;

  /**
   * How often the nightly close saves its index (its checkpoint), so that a restart reads only the log's tail. Less
   * often than the reconciler's: the index is as large as the fleet (every terminal's days looked back over), and a
   * start after a few minutes' tail reads a few thousand events.
   */
  @EnvInt('NIGHTLY_CLOSE_CHECKPOINT_SECONDS', { min: 1, max: 3_600 })
  readonly nightlyCloseCheckpointSeconds: number = 300;

  /** How long a terminal operation (a nightly close) may hold its terminal, as in the command service. */
  @EnvInt('OPERATION_CLAIM_SECONDS', { min: 10, max: 86_400 })
  readonly operationClaimSeconds: number = 900;

  /** How often Dintero is asked how a dispatched terminal operation stands, until it has ended. */
  @EnvInt('OPERATION_POLL_SECONDS', { min: 1, max: 3_600 })
  readonly operationPollSeconds: number = 2;

  /**
   * How long after a terminal operation's last step the reconciler sends it again when it was not
   * dispatched (its request cut off while sending, or Dintero silent).
   */
  @EnvInt('OPERATION_RESEND_SECONDS', { min: 1, max: 3_600 })
  readonly operationResendSeconds: number = 5;

  /** How often the reconciler saves what is due (its checkpoint), so that a restart does not replay the log. */
  @EnvInt('RECONCILER_CHECKPOINT_SECONDS', { min: 1, max: 3_600 })
  readonly reconcilerCheckpointSeconds: number = 30;
}
