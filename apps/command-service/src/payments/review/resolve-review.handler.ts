import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  existingPayment,
  mayBeReviewed,
  paymentDecider,
  paymentStream,
  refundOf,
  type PaymentCommand,
  type PaymentState,
} from '@app/payment-domain';
import { now } from '../../clock';
import { commandMetadata, type CommandContext } from '../command-context';
import { visiblePayment } from '../visible-payment';
import { reviewResolutionView, type ReviewResolutionView } from './review-resolution.view';

/**
 * A person of the chain's back office says a payment or refund handed to them was dealt with: read, check the key
 * (the payment's store, with registry rights), decide, append. The domain refuses what is not under review
 * (`NOT_UNDER_REVIEW`) and a flag named that is no longer the one standing, or the same word naming none that was
 * given on an earlier flag (`REVIEW_CHANGED`), and takes the same word twice once.
 */
@Injectable()
export class ResolveReviewHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async resolve(
    paymentId: string,
    refundId: string | undefined,
    { note, flaggedAt }: { readonly note: string; readonly flaggedAt?: string },
    context: CommandContext,
  ): Promise<ReviewResolutionView> {
    const stream = paymentStream(paymentId);
    const current = visiblePayment(
      (await readState(this.store, stream, paymentDecider)).state,
      paymentId,
      context.client,
    );
    // Resolving is the back office's, as the registry is: a till's key may start and refund, not clear the review.
    context.client.assertRegistry(current.storeId, 'resolve reviews');
    const at = now();
    const refund = refundId === undefined ? {} : { refundId };
    const ids = { paymentId, ...refund };
    const named = flaggedAt === undefined ? {} : { flaggedAt };
    const command: PaymentCommand = {
      type: 'ResolveReview',
      data: { ...refund, ...named, by: context.client.id, note, at },
    };
    const { storeId, terminalId } = current;
    const metadata = commandMetadata(context, { ...ids, storeId, terminalId }, at);
    const { state } = await handleCommand(this.store, stream, paymentDecider, command, { metadata });
    return resolved(state, ids);
  }
}

/** The resolution as the payment now holds it (the first, for the same word again). */
function resolved(state: PaymentState, ids: { paymentId: string; refundId?: string }): ReviewResolutionView {
  const payment = existingPayment(state, ids.paymentId);
  const of =
    ids.refundId === undefined ? (mayBeReviewed(payment) ? payment : undefined) : refundOf(payment, ids.refundId);
  if (of?.reviewResolved === undefined || of.flaggedForReviewAt === undefined)
    throw new Error(`Payment ${ids.paymentId}: the review resolved is not in its state`);
  return reviewResolutionView(ids, of.flaggedForReviewAt, of.reviewResolved);
}
