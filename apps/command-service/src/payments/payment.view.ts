import { ApiProperty } from '@nestjs/swagger';
import { isOpen, type PaymentState } from '@app/payment-domain';

/** A terminal payment as the POS sees it. */
export class PaymentView {
  @ApiProperty() paymentId!: string;
  @ApiProperty({ example: 'awaiting_card' }) status!: string;
  @ApiProperty() storeId!: string;
  @ApiProperty() terminalId!: string;
  @ApiProperty() amount!: number;
  @ApiProperty() currency!: string;
  @ApiProperty() merchantReference!: string;
  @ApiProperty({ required: false }) sessionId?: string;
  @ApiProperty({ required: false }) transactionId?: string;
  @ApiProperty() expiresAt!: string;
  @ApiProperty({ required: false }) capturedAmount?: number;
  @ApiProperty({ required: false }) reason?: string;
  @ApiProperty() final!: boolean;
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
    ...(state.sessionId ? { sessionId: state.sessionId } : {}),
    ...(state.transactionId ? { transactionId: state.transactionId } : {}),
    expiresAt: state.expiresAt,
    ...(state.status === 'captured' ? { capturedAmount: state.capturedAmount } : {}),
    ...('reason' in state && state.reason ? { reason: state.reason } : {}),
    final: !isOpen(state),
  };
}
