import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { IsNameToken } from '@app/platform';

export class RefundTerminalPaymentDto {
  /** Minor units; never more than captured minus what is refunded or being refunded. */
  @ApiProperty({
    example: 10_000,
    description: 'In minor units; never more than captured minus what is refunded or being refunded',
  })
  @IsInt()
  @Min(1)
  amount!: number;

  /**
   * The terminal where the cardholder is: Dintero requires it for in-person refunds. It may be in another store
   * of the chain, one that takes the payment's currency (else `422 CURRENCY_NOT_ACCEPTED`) and pays out to the
   * payment's payout destination (else `422 REFUND_TERMINAL_OTHER_PAYOUT_DESTINATION`).
   */
  @ApiProperty({
    example: 'T-2',
    description:
      'The terminal where the cardholder is; it may be in another store of the chain that takes the payment’s ' +
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
}
