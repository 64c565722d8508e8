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

  /** The terminal where the cardholder is: Dintero requires it for in-person refunds. */
  @ApiProperty({ example: 'T-2' })
  @IsNameToken()
  terminalId!: string;

  @ApiProperty({ required: false })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reason?: string;
}
