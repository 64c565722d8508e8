import type { Logger } from '@nestjs/common';
import { CONTEXT } from './reconciler-context';
import type { SettleLeases } from './settle-leases';

/**
 * The reconciler's leases on due payments (`SettleLeases`), as a round takes and keeps them: without NATS a payment
 * is looked at all the same (a duplicate look is harmless, a payment left open is not), and a lease not kept only
 * lets another instance look too.
 */
export class PaymentLeases {
  constructor(
    /** Opened at the reconciler's start, after the round was made. */
    private readonly leases: () => SettleLeases | undefined,
    private readonly logger: Pick<Logger, 'log' | 'warn'>,
  ) {}

  /** Whether this instance may look at the payment now: it holds the payment's lease, or NATS does not answer. */
  async mayLookAt(paymentId: string): Promise<boolean> {
    try {
      return await this.leases()!.take(paymentId);
    } catch (error) {
      this.logger.warn(
        { correlationId: CONTEXT.correlationId, err: error, paymentId },
        'could not take the lease on a due payment: looking at it anyway',
      );
      return true;
    }
  }

  /** Keeps this instance's lease on the payment until `untilMs` (`SettleLeases.holdUntil`), if NATS answers. */
  async holdUntil(paymentId: string, untilMs: number): Promise<void> {
    const leases = this.leases();
    if (!leases) return;
    await leases.holdUntil(paymentId, untilMs).catch((error: unknown) => {
      this.logger.warn(
        { correlationId: CONTEXT.correlationId, err: error, paymentId },
        'could not keep the lease until the next look',
      );
    });
  }
}
