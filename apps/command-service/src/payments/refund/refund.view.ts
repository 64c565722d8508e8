import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { refundCurrencyOf, refundMayYetBeMade, type PaymentState, type Refund } from '@app/payment-domain';
import { ReceiptView } from '../receipt.view';

/** One refund of a payment, as the POS sees it. */
export class RefundView {
  @ApiProperty() refundId!: string;
  @ApiProperty() paymentId!: string;
  @ApiProperty({ type: 'integer', description: 'Minor units of currency' }) amount!: number;
  @ApiProperty({
    example: 'NOK',
    description:
      "ISO 4217: the payment's for a refund of the sale, the late capture's own for one of a late capture (which need " +
      "not be the payment's)",
  })
  currency!: string;
  @ApiProperty({ description: 'The terminal where the cardholder is refunded' }) terminalId!: string;
  @ApiPropertyOptional({
    description: 'The transaction captured after the payment had ended that it gives money back from; absent: the sale',
  })
  transactionId?: string;
  @ApiProperty({
    enum: ['pending', 'succeeded', 'failed', 'unknown'],
    description:
      '`pending`: Dintero is doing it at the terminal (or has not answered yet); `unknown`: Dintero did not ' +
      'answer, the engine is finding out. `succeeded` never changes; a `failed` one turns `succeeded` should Dintero ' +
      'show later that it made it (which only `mayStillSucceed` makes likely).',
  })
  status!: 'pending' | 'succeeded' | 'failed' | 'unknown';
  @ApiProperty({
    description:
      'No outcome is awaited from Dintero (what `waitFor=final` waits for). False while Dintero is doing it or has ' +
      'not answered, and for a failed refund Dintero took (202) after it was failed for its silence: the engine ' +
      'still asks Dintero how it ends.',
  })
  final!: boolean;
  @ApiPropertyOptional({
    description:
      'Failed because Dintero showed no trace of it (it did not answer, and had nothing of it when asked): should ' +
      'Dintero show later that it made it, the refund turns `succeeded` and its amount refunded. Check at Dintero ' +
      'before refunding the sale again.',
  })
  mayStillSucceed?: true;
  @ApiProperty() requestedAt!: string;
  @ApiPropertyOptional({ description: 'When the engine recorded the outcome' }) finishedAt?: string;
  @ApiPropertyOptional({ description: "When Dintero says the refund happened or was refused (its event's time)" })
  dinteroAt?: string;
  @ApiPropertyOptional({ description: 'Why it failed, or why its outcome is not known yet' }) reason?: string;
  @ApiPropertyOptional({
    description: "Dintero's `event-request-id` for a refund it accepted to do later (202)",
  })
  dinteroRequestId?: string;
  @ApiPropertyOptional({
    type: ReceiptView,
    description:
      "The terminal's transaction id, receipt number and the receipts it wrote for the refund (the cardholder " +
      'confirms it at the terminal), once Dintero shows its outcome with them; absent on refunds recorded before ' +
      'they were kept, and on one failed for want of an answer',
  })
  receipt?: ReceiptView;
}

export function refundView(payment: Exclude<PaymentState, { status: 'none' }>, refund: Refund): RefundView {
  const status = refund.status === 'accepted' ? 'pending' : refund.status;
  return {
    refundId: refund.refundId,
    paymentId: payment.paymentId,
    amount: refund.amount,
    currency: refundCurrencyOf(payment, refund),
    terminalId: refund.terminalId,
    ...(refund.transactionId ? { transactionId: refund.transactionId } : {}),
    status,
    final: (status === 'succeeded' || status === 'failed') && !refundMayYetBeMade(refund),
    ...(status === 'failed' && refund.noTrace ? { mayStillSucceed: true as const } : {}),
    requestedAt: refund.requestedAt,
    ...(refund.finishedAt ? { finishedAt: refund.finishedAt } : {}),
    ...(refund.dinteroAt ? { dinteroAt: refund.dinteroAt } : {}),
    ...(refund.reason ? { reason: refund.reason } : {}),
    ...(refund.dinteroRequestId ? { dinteroRequestId: refund.dinteroRequestId } : {}),
    ...(refund.receipt ? { receipt: refund.receipt } : {}),
  };
}
