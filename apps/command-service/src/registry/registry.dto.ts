import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

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
}

export class StoreView {
  @ApiProperty() storeId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() payoutDestinationId!: string;
  @ApiProperty() timeZone!: string;
  @ApiProperty({ example: [{ terminalId: 'T-1', active: true }] }) terminals!: {
    terminalId: string;
    active: boolean;
  }[];
}
