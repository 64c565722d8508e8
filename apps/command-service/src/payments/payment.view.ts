import { ApiProperty } from '@nestjs/swagger';
import {
  isOpen,
  lateCurrencyOf,
  lateRefundableAmount,
  lateRefundedElsewhereOf,
  PAYMENT_STATUSES,
  refundableAmount,
  type EndedOrCapturedPayment,
  type PaymentState,
  type Refund,
} from '@app/payment-domain';
import { ReceiptView } from './receipt.view';
import { RefundView, refundView } from './refund/refund.view';

/** Money captured after the payment ended: by transaction. */
export class LateCaptureView {
  @ApiProperty() transactionId!: string;
  @ApiProperty({ type: 'integer', description: 'Captured after the end, in minor units of currency' }) amount!: number;
  @ApiProperty({
    example: 'SEK',
    description:
      "The currency Dintero captured it in (ISO 4217): its own, which need not be the payment's. Its amounts are in " +
      'it, and a refund of it names it',
  })
  currency!: string;
  @ApiProperty({
    type: 'integer',
    description:
      'Given back for sure, in minor units: refunds of it that succeeded, and what Dintero shows refunded of it by ' +
      'none of them (refundedElsewhere)',
  })
  refundedAmount!: number;
  @ApiProperty({
    type: 'integer',
    required: false,
    description:
      "Given back at Dintero by no refund of this engine's (in Dintero's Backoffice, say), in minor units: part of " +
      'refundedAmount',
  })
  refundedElsewhere?: number;
  @ApiProperty({
    type: 'integer',
    description:
      'What may still be refunded of it (POST …/refunds with its transactionId), in minor units: captured late less ' +
      'every refund of it not failed and what was refunded of it elsewhere',
  })
  refundableAmount!: number;
}

/** The card the terminal read, as Dintero shows it: never more of its number than Dintero's masked one. */
export class CardView {
  @ApiProperty({ required: false, example: 'Visa' }) brand?: string;
  @ApiProperty({ required: false, example: '476173******0416', description: "Dintero's masked card number" })
  maskedPan?: string;
  @ApiProperty({ required: false, example: 'Debit', description: "Dintero's card type: Credit, Debit, Prepaid, …" })
  type?: string;
  @ApiProperty({
    required: false,
    example: 'contactless',
    description: 'How the card was read: chip (inserted), contactless (tapped) or magstripe (swiped)',
  })
  entryMethod?: string;
}

/** A terminal payment as the POS sees it. */
export class PaymentView {
  @ApiProperty() paymentId!: string;
  @ApiProperty({
    enum: PAYMENT_STATUSES,
    example: 'awaiting_card',
    description: 'Open: requested, awaiting_card, outcome_unknown, on_hold, authorized; final: the others',
  })
  status!: string;
  @ApiProperty() storeId!: string;
  @ApiProperty() terminalId!: string;
  @ApiProperty({
    type: 'integer',
    description: 'The amount asked of the customer, in minor units (39900 is 399.00 NOK)',
  })
  amount!: number;
  @ApiProperty() currency!: string;
  @ApiProperty() merchantReference!: string;
  @ApiProperty({
    required: false,
    example: { till: '3' },
    description: 'The metadata the POS gave when it started the payment, as it gave it',
  })
  metadata?: Record<string, string>;
  @ApiProperty({ required: false }) sessionId?: string;
  @ApiProperty({ required: false }) transactionId?: string;
  @ApiProperty({ description: "When the POS asked for it (the engine's time)" }) requestedAt!: string;
  @ApiProperty({ description: "When the customer's time at the terminal ends: the Dintero session's expiry" })
  expiresAt!: string;
  @ApiProperty({ required: false, description: 'When the engine recorded the capture (a captured payment)' })
  capturedAt?: string;
  @ApiProperty({
    required: false,
    description: 'When the engine recorded its end (declined, failed, cancelled, expired, rejected or voided)',
  })
  endedAt?: string;
  @ApiProperty({ type: 'integer', required: false, description: 'What Dintero captured, in minor units' })
  capturedAmount?: number;
  @ApiProperty({
    type: 'integer',
    required: false,
    description:
      'Refunded for sure, in minor units: refunds that succeeded, and what Dintero shows refunded by none of them (refundedElsewhere)',
  })
  refundedAmount?: number;
  @ApiProperty({
    type: 'integer',
    required: false,
    description:
      "Refunded at Dintero by no refund of this engine's (in Dintero's Backoffice, say), in minor units: part of refundedAmount",
  })
  refundedElsewhere?: number;
  @ApiProperty({
    type: 'integer',
    required: false,
    description:
      'What may still be refunded, in minor units: captured less every refund not failed (pending ones included)',
  })
  refundableAmount?: number;
  @ApiProperty({
    required: false,
    type: [RefundView],
    description: 'Oldest first: of the sale, and of money captured late (those with a transactionId)',
  })
  refunds?: RefundView[];
  @ApiProperty({
    required: false,
    description:
      "Why it ended without a capture, for people and logs, not to branch on (branch on status): Dintero's reason " +
      'for a decline or failure, its error code for a rejected session, `cancelled by customer` or `cancelled by pos`',
  })
  reason?: string;
  @ApiProperty({
    required: false,
    type: CardView,
    description:
      'The card the terminal read (a captured payment, or one declined or failed at the terminal), once it has ' +
      'answered; absent when Dintero sent none, and on payments recorded before the card was kept',
  })
  card?: CardView;
  @ApiProperty({
    required: false,
    type: ReceiptView,
    description:
      "The terminal's transaction id, receipt number (unique per terminal) and the receipts it wrote, once it has " +
      'answered (captured, declined or failed). The texts are absent on payments recorded before they were kept',
    example: { terminalTransactionId: '6f1c2a9e', receiptNumber: '000123', customerReceipt: 'CUSTOMER COPY\n…' },
  })
  receipt?: ReceiptView;
  @ApiProperty({
    required: false,
    type: [LateCaptureView],
    description:
      'Money Dintero captured after the payment had ended (cancelled, expired, declined): no sale stands behind it, ' +
      'and it must be given back to the cardholder, with a refund naming its transaction',
  })
  lateCaptures?: LateCaptureView[];
  @ApiProperty({
    required: false,
    description:
      'The POS asked to cancel this open payment and Dintero has not confirmed it yet: the engine asks Dintero again ' +
      'until it answers, and the payment ends cancelled, or as its transaction did if the card came first',
  })
  cancellationRequested?: true;
  @ApiProperty({
    description:
      'The status will not change any more (captured, declined, failed, cancelled, expired, rejected, voided; a ' +
      'captured payment may still be refunded). False while open: a `waitFor=final` that timed out answers so; ask again',
  })
  final!: boolean;
}

export function paymentView(state: Exclude<PaymentState, { status: 'none' }>): PaymentView {
  return {
    paymentId: state.paymentId,
    status: state.status,
    storeId: state.storeId,
    terminalId: state.terminalId,
    amount: state.amount,
    currency: state.currency,
    merchantReference: state.merchantReference,
    ...(state.metadata && Object.keys(state.metadata).length > 0 ? { metadata: { ...state.metadata } } : {}),
    ...(state.sessionId ? { sessionId: state.sessionId } : {}),
    ...(state.transactionId ? { transactionId: state.transactionId } : {}),
    requestedAt: state.requestedAt,
    expiresAt: state.expiresAt,
    ...(state.status === 'captured' ? { capturedAt: state.capturedAt, ...saleRefundsOf(state) } : {}),
    ...('endedAt' in state ? { endedAt: state.endedAt } : {}),
    ...(isOpen(state) ? {} : refundListOf(state)),
    ...('reason' in state && state.reason ? { reason: state.reason } : {}),
    ...('card' in state && state.card ? { card: state.card } : {}),
    ...('receipt' in state && state.receipt ? { receipt: state.receipt } : {}),
    ...lateCapturesOf(state),
    ...(isOpen(state) && state.cancellationRequested ? { cancellationRequested: true as const } : {}),
    final: !isOpen(state),
  };
}

/** What succeeded of the refunds given back from a transaction (undefined: the sale). */
const refundedOf = (refunds: Readonly<Record<string, Refund>>, transactionId: string | undefined): number =>
  Object.values(refunds)
    .filter((refund) => refund.status === 'succeeded' && refund.transactionId === transactionId)
    .reduce((sum, refund) => sum + refund.amount, 0);

/** The sale's money: captured, refunded, left to refund (refunds of late captures are not the sale's). */
function saleRefundsOf(state: Extract<PaymentState, { status: 'captured' }>) {
  return {
    capturedAmount: state.capturedAmount,
    refundedAmount: refundedOf(state.refunds, undefined) + (state.refundedElsewhere ?? 0),
    ...(state.refundedElsewhere ? { refundedElsewhere: state.refundedElsewhere } : {}),
    refundableAmount: refundableAmount(state),
  };
}

/** Every refund of an ended payment, oldest first: a captured one always lists them, another only when it has some. */
function refundListOf(state: EndedOrCapturedPayment): { refunds?: RefundView[] } {
  const refunds = Object.values(state.refunds).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  if (refunds.length === 0 && state.status !== 'captured') return {};
  return { refunds: refunds.map((refund) => refundView(state, refund)) };
}

function lateCapturesOf(state: Exclude<PaymentState, { status: 'none' }>): { lateCaptures?: LateCaptureView[] } {
  const late = Object.entries(state.lateCaptured).map(([transactionId, amount]) => {
    const elsewhere = lateRefundedElsewhereOf(state, transactionId);
    return {
      transactionId,
      amount,
      currency: lateCurrencyOf(state, transactionId),
      refundedAmount: (isOpen(state) ? 0 : refundedOf(state.refunds, transactionId)) + elsewhere,
      ...(elsewhere > 0 ? { refundedElsewhere: elsewhere } : {}),
      refundableAmount: isOpen(state) ? 0 : lateRefundableAmount(state, transactionId),
    };
  });
  return late.length > 0 ? { lateCaptures: late } : {};
}
