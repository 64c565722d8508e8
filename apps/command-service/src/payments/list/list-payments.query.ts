import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsNameToken, QueryInteger } from '@app/platform';

/** `GET /v1/terminal-payments`: a store's payments, newest first, by the POS's reference, terminal and time. */
export class ListPaymentsQuery {
  @ApiProperty({ example: 'oslo-center' })
  @IsNameToken()
  storeId!: string;

  @ApiPropertyOptional({ description: "The POS's own reference, as sent when the payment started", example: 'POS-123' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  merchantReference?: string;

  @ApiPropertyOptional({ example: 'T-1' })
  @IsOptional()
  @IsNameToken()
  terminalId?: string;

  @ApiPropertyOptional({
    description:
      'Started at or after this instant. Default: 7 days before `to`, or any time when `merchantReference` is given',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'Started before this instant. Default: now. At most 92 days after `from`' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a nextCursor this API gave' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
