import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';

export class PutStoreDto {
  @ApiProperty({ example: 'Oslo Center' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  /** Dintero's payout destination (seller) of this store: every session of its terminals names it. */
  @ApiProperty({ example: 'seller-1' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40) // Dintero's limit on a payout destination id
  payoutDestinationId!: string;

  /** IANA time zone: the store's business day (store-day read model) is in it. */
  @ApiProperty({ example: 'Europe/Oslo' })
  @IsString()
  @IsNotEmpty()
  timeZone!: string;

  @ApiPropertyOptional({
    example: ['NOK'],
    description:
      "The currencies the store's terminals accept (ISO 4217). Default: the country's currency for a new store, " +
      'the ones it has for a registered one. A payment in ' +
      'any other is refused with `422 CURRENCY_NOT_ACCEPTED` before Dintero is asked.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @Matches(/^[A-Z]{3}$/, { each: true, message: 'currencies must be ISO 4217 codes in upper case, e.g. NOK' })
  currencies?: string[];

  @ApiPropertyOptional({
    example: 'NO',
    description:
      "ISO 3166-1 alpha-2: gives the default currency. Default: the time zone's country (Europe/Oslo is NO).",
  })
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code, e.g. NO' })
  country?: string;
}

export class StoreView {
  @ApiProperty() storeId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() payoutDestinationId!: string;
  @ApiProperty() timeZone!: string;
  @ApiPropertyOptional({
    example: ['NOK'],
    description: 'The currencies its terminals accept; absent for a store registered before currencies (any)',
  })
  currencies?: readonly string[];
  @ApiProperty({ example: [{ terminalId: 'T-1', active: true }] }) terminals!: {
    terminalId: string;
    active: boolean;
  }[];
}

export class TerminalHolder {
  @ApiProperty({ enum: ['payment', 'refund'] }) kind!: 'payment' | 'refund';
  @ApiProperty() paymentId!: string;
  @ApiProperty({ required: false, description: 'With `kind: refund`' }) refundId?: string;
  @ApiProperty({ description: 'When it took the terminal' }) since!: string;
  @ApiProperty({ description: 'When its hold lapses by itself if nothing ends it first' }) until!: string;
}

/** A terminal as its POS sees it: whether it is free, or which payment or refund holds it, until when. */
export class TerminalView {
  @ApiProperty() storeId!: string;
  @ApiProperty() terminalId!: string;
  @ApiProperty({ description: 'Registered and not deactivated' }) active!: boolean;
  @ApiProperty({ description: 'A payment or refund may start on it now' }) free!: boolean;
  @ApiProperty({ required: false, type: TerminalHolder }) holder?: TerminalHolder;
}
