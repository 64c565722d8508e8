import type { Logger } from '@nestjs/common';
import type { PaymentMetrics } from '@app/platform';
import type { DuePayments, RetrySettings } from './due-payments';
import { PaymentLeases } from './payment-leases';
import type { PaymentSettler } from './payment-settler';
import { CONTEXT } from './reconciler-context';
import type { RefundSweep } from './refund-sweep';
import type { ReviewFlags } from './review-flags';
import type { SettleLeases } from './settle-leases';

/** What a round reads of the configuration. */
export interface RoundSettings {
  /** Payments looked at and refund sweep pages asked for in one round: `RECONCILER_MAX_PER_SECOND` over the interval. */
  readonly budget: number;
  /** A payment's lease (`RECONCILER_LEASE_SECONDS`). */
  readonly leaseMs: number;
  /** The back-off of a payment whose look failed. */
  readonly retry: RetrySettings;
}

/**
 * One round of the reconciler: the payments due now, each looked at by the instance holding its lease and kept until
 * its next look, a failed look tried again later, then the refund sweep with what is left of the budget.
 */
export class ReconcilerRound {
  /** The due payments' leases, taken and kept. */
  private readonly paymentLeases: PaymentLeases;

  constructor(
    private readonly settings: () => RoundSettings,
    private readonly due: DuePayments,
    private readonly settler: PaymentSettler,
    private readonly flags: ReviewFlags,
    private readonly refundSweep: RefundSweep,
    /** Opened at the reconciler's start, after this round was made. */
    leases: () => SettleLeases | undefined,
    /** The reconciler is stopping: no further payment is looked at. */
    private readonly stopped: () => boolean,
    private readonly metrics: PaymentMetrics,
    private readonly logger: Logger,
  ) {
    this.paymentLeases = new PaymentLeases(leases, logger);
  }

  /**
   * One round: the payments due now, as many as the rate allows less the refund sweep's share (`RefundSweep.reserve`),
   * one after another; then, with what is left of the round's budget, pages of the refund sweep (one Dintero request
   * each).
   */
  async run(): Promise<void> {
    const { budget, leaseMs, retry } = this.settings();
    this.flags.forgetUnless((paymentId) => this.due.dueAt(paymentId) !== undefined);
    // The refund sweep's share first: due payments taking the whole budget round after round would starve it.
    const due = this.due.takeDue(Date.now(), budget - this.refundSweep.reserve(budget, Date.now()));
    for (const paymentId of due) {
      if (this.stopped()) return;
      if (!(await this.paymentLeases.mayLookAt(paymentId))) {
        // Another instance is on it: its outcome reaches this index through the log; if the payment is
        // still due once the lease has lapsed, this instance looks then.
        this.metrics.reconciler.inc({ result: 'leased_elsewhere' });
        this.due.schedule(paymentId, Date.now() + leaseMs);
        continue;
      }
      try {
        await this.settler.settle(paymentId);
        this.flags.settled(paymentId);
        await this.holdUntilNextLook(paymentId);
      } catch (error) {
        this.metrics.reconciler.inc({ result: 'failed' });
        // Dintero or the log unreachable, or an answer this engine cannot take: try again later, less and less
        // often, nothing is lost; past the review deadline, a person is told.
        await this.flags.failed(paymentId, error);
        this.due.retry(paymentId, Date.now(), retry);
        await this.holdUntilNextLook(paymentId);
      }
    }
    if (this.stopped()) return;
    await this.refundSweep
      .step(budget - due.length, Date.now())
      .catch((error: unknown) =>
        this.logger.warn({ correlationId: CONTEXT.correlationId, err: error }, 'refund sweep round failed'),
      );
  }

  /**
   * Keeps the lease on a payment this instance will look at again until a lease past that look. Let lapse after
   * one lease, it went to another instance, which looked too, on a back-off of its own: N instances asked Dintero
   * about a payment stuck at UNKNOWN about N times as often as one.
   */
  private async holdUntilNextLook(paymentId: string): Promise<void> {
    const next = this.due.dueAt(paymentId);
    if (next === undefined) return;
    await this.paymentLeases.holdUntil(paymentId, next + this.settings().leaseMs);
  }
}
