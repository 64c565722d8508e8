import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { IsNameToken } from '@app/platform';
import { currencyInEitherCase } from '../currency-code';

export class RefundTerminalPaymentDto {
  /**
   * Minor units; never more than captured minus what is refunded or being refunded (of a late capture, what it
   * captured late minus that).
   */
  @ApiProperty({
    type: 'integer',
    example: 10_000,
    description: 'In minor units; never more than captured minus what is refunded or being refunded',
  })
  @IsInt()
  @Min(1)
  amount!: number;

  /**
   * The terminal where the cardholder is: Dintero requires it for in-person refunds. It may be in another store
   * of the chain, one that takes the refund's currency (else `422 CURRENCY_NOT_ACCEPTED`) and pays out to the
   * payment's payout destination (else `422 REFUND_TERMINAL_OTHER_PAYOUT_DESTINATION`).
   */
  @ApiProperty({
    example: 'T-2',
    description:
      'The terminal where the cardholder is; it may be in another store of the chain that takes the refund’s ' +
      'currency (else 422 CURRENCY_NOT_ACCEPTED) and pays out to its payout destination (else 422 ' +
      'REFUND_TERMINAL_OTHER_PAYOUT_DESTINATION)',
  })
  @IsNameToken()
  terminalId!: string;

  @ApiProperty({ required: false })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reason?: string;

  /**
   * The transaction to give money back from, when that is one Dintero captured after the payment had ended (one of
   * its `lateCaptures`): no more than it captured late and is not refunded. Absent: the sale, or, of a payment that
   * ended without one, its only late capture.
   */
  @ApiProperty({
    required: false,
    example: 'T12345678.3Xbq9ZPvfjDxjoVPemBn4M',
    description:
      'A transaction of the payment’s `lateCaptures` to give back (money captured after the payment had ended), up to ' +
      'what it captured late and is not refunded; absent: the sale, or the only late capture of a payment without one',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  transactionId?: string;

  /**
   * The currency the POS means to refund in: refused (`400 VALIDATION_FAILED`) unless it is that of the money given
   * back, the payment's for the sale, the late capture's own for one (`lateCaptures[].currency`). Required for a late
   * capture in another currency than the payment's, whose amount is never taken as the payment's.
   */
  @ApiProperty({
    required: false,
    example: 'NOK',
    description:
      'The currency meant (ISO 4217, in either case: "nok" is NOK); refused unless it is the payment’s, or for a late ' +
      'capture its own (400 VALIDATION_FAILED); required for a late capture in another currency than the payment’s',
  })
  // ISO 4217 codes are upper case, and a POS that keeps them in lower case ("nok") means the same currency: it is
  // upper-cased here, at the edge, so that the domain compares codes as ISO writes them. One that is no code after
  // that is refused: a shape that is none here, an unknown code by the domain (`400 VALIDATION_FAILED` either way).
  @IsOptional()
  @Transform(currencyInEitherCase)
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code of three letters, e.g. NOK' })
  currency?: string;
}

/**
 * The refund of `paymentId` as the engine takes it, for its Idempotency-Key: the DTO's fields (currency upper case),
 * but an empty `reason`, which nothing records or sends (the same refund as one without a reason).
 */
export function refundAsTaken(paymentId: string, body: RefundTerminalPaymentDto): Record<string, unknown> {
  const { reason, ...rest } = body;
  return { paymentId, ...rest, ...(reason ? { reason } : {}) };
}
