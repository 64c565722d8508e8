import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

export class StartTerminalPaymentDto {
  @ApiProperty({ example: 'oslo-center' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  storeId!: string;

  @ApiProperty({ example: 'T-1' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  terminalId!: string;

  /** Minor units: 39900 is 399.00 NOK. */
  @ApiProperty({ example: 39_900 })
  @IsInt()
  @Min(1)
  amount!: number;

  @ApiProperty({ example: 'NOK' })
  @Matches(/^[A-Z]{3}$/)
  currency!: string;

  @ApiProperty({ example: 'POS-123' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  merchantReference!: string;

  @ApiProperty({ required: false, example: { ext_till: '3' } })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, string>;
}
