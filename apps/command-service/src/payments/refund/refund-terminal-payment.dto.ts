import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

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
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  terminalId!: string;

  @ApiProperty({ required: false })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reason?: string;
}
