import type { Logger } from '@nestjs/common';
import type { DinteroTransaction } from '@app/dintero';
import type { PaymentMetrics } from '@app/platform';
import { callbackOriginOf, type OurOrigin } from '../webhook/our-callback-url';

/** Other origins logged, each once: a handful at most in any deployment; past it, only counted. */
const MOST_ORIGINS_LOGGED = 16;

/**
 * Command and ingest services must be given the same `INGEST_PUBLIC_URL`: ingest tells this engine's payments from
 * another's by the origin of their callback URL (`madeByThisEngine`), and one given another origin than the command
 * service's takes this engine's payments for another engine's, silently: the refund sweep skips them, and a webhook
 * about one the log does not show yet is ignored. A payment in this engine's log was made by its command service,
 * so a transaction of it whose callback URL, in this engine's form and naming it, has another origin shows the
 * mismatch. Each such transaction is counted; the first of each origin is logged as an error naming both.
 */
export class CallbackOriginCheck {
  private readonly logged = new Set<string>();

  constructor(
    private readonly ours: OurOrigin,
    private readonly metrics: PaymentMetrics,
    private readonly logger: Logger,
  ) {}

  /** A transaction just recorded against `paymentId`, which the log has. */
  check(paymentId: string, tx: DinteroTransaction, correlationId: string): void {
    const origin = callbackOriginOf(tx.url?.callback_url, paymentId, this.ours);
    if (origin === undefined || origin === this.ours) return;
    this.metrics.callbackOriginMismatches.inc();
    if (this.logged.has(origin) || this.logged.size >= MOST_ORIGINS_LOGGED) return;
    this.logged.add(origin);
    this.logger.error(
      { correlationId, paymentId, transactionId: tx.id, callbackOrigin: origin, ingestOrigin: this.ours },
      `payments of this log carry callback URLs at ${origin}, this ingest service's INGEST_PUBLIC_URL is at ` +
        `${this.ours}: give the command and ingest services the same one. Until then webhooks and refund sweeps do ` +
        `not take those payments for this engine's (payments_callback_origin_mismatches_total counts them)`,
    );
  }
}
