import type { Logger } from '@nestjs/common';
import { OutageWarnings } from '@app/platform';
import { CONTEXT } from './reconciler-context';
import type { SettleLeases } from './settle-leases';

/**
 * The reconciler's leases on due payments (`SettleLeases`), as a round takes and keeps them: without NATS a payment
 * is looked at all the same (a duplicate look is harmless, a payment left open is not), and a lease not kept only
 * lets another instance look too.
 *
 * While NATS was gone each take and each keep that failed was a warning: two for every look at every due payment
 * (one still open at Dintero is looked at again within five minutes at most), for as long as the outage lasted. Each
 * kind is said backing off (`OutageWarnings`), the line naming the payment of the failure it says, and the first
 * that NATS answers again is said once.
 */
export class PaymentLeases {
  private readonly takeWarnings: OutageWarnings;
  private readonly keepWarnings: OutageWarnings;

  constructor(
    /** Opened at the reconciler's start, after the round was made. */
    private readonly leases: () => SettleLeases | undefined,
    logger: Pick<Logger, 'log' | 'warn'>,
    /** The clock of the warnings' pauses. */
    now?: () => number,
  ) {
    this.takeWarnings = new OutageWarnings(logger, 'due payments’ leases taken again: NATS answers again', now);
    this.keepWarnings = new OutageWarnings(logger, 'due payments’ leases kept again: NATS answers again', now);
  }

  /** Whether this instance may look at the payment now: it holds the payment's lease, or NATS does not answer. */
  async mayLookAt(paymentId: string): Promise<boolean> {
    const ids = { correlationId: CONTEXT.correlationId, paymentId };
    const why = 'could not take the lease on a due payment: looking at it anyway';
    return this.takeWarnings.answerOf(() => this.leases()!.take(paymentId), true, why, ids);
  }

  /** Keeps this instance's lease on the payment until `untilMs` (`SettleLeases.holdUntil`), if NATS answers. */
  async holdUntil(paymentId: string, untilMs: number): Promise<void> {
    const leases = this.leases();
    if (!leases) return;
    const ids = { correlationId: CONTEXT.correlationId, paymentId };
    const why = 'could not keep the lease until the next look';
    await this.keepWarnings.answerOf(() => leases.holdUntil(paymentId, untilMs), undefined, why, ids);
  }
}
