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
import { DINTERO_TERMINAL_STATUSES, type ClaimKind } from '@app/payment-domain';

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

  @ApiPropertyOptional({
    example: '23:30',
    description:
      "The local time (store's time zone) its terminals close their day every night; a time before noon closes the " +
      'day before. Default: the one it has, or 23:30.',
  })
  @IsOptional()
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'endOfDayTime must be a time of day HH:MM, e.g. 23:30' })
  endOfDayTime?: string;

  @ApiPropertyOptional({
    example: '923663487',
    description: "The legal entity's organisation number, sent to Dintero when the engine creates the store there",
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9 -]{1,40}$/, { message: 'organizationNumber must be 1-40 letters, digits, spaces or dashes' })
  organizationNumber?: string;
}

/**
 * The device behind a terminal name. With `deviceSerialNumber`, the engine registers the device at Dintero
 * (or finds it there) and maps the name to Dintero's `terminal_id`. With `dinteroTerminalId`, the name maps to
 * a terminal Dintero has already. With neither, the device the name has already (a reactivation), or for a new
 * name, a terminal at Dintero whose `terminal_id` is the name. Another device for a name is refused (`409
 * TERMINAL_BUSY`) while a payment, refund or operation holds the terminal.
 */
export class PutTerminalDto {
  @ApiPropertyOptional({ example: 'SIMULATED-T12345678-001', description: "The serial number on the device's label" })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,100}$/, { message: 'deviceSerialNumber must be 1-100 of A-Z a-z 0-9 _ . : -' })
  deviceSerialNumber?: string;

  @ApiPropertyOptional({
    example: 'SATURN1000',
    description:
      "The device's model, with deviceSerialNumber: Dintero resolves the model from the serial, and a device it knows as another model is refused (DINTERO_TERMINAL_DIFFERS)",
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_]{1,40}$/, { message: 'deviceModel must be 1-40 of A-Z a-z 0-9 _' })
  deviceModel?: string;

  @ApiPropertyOptional({ example: 'T12345678-T0001', description: "Dintero's terminal_id of a terminal Dintero has" })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,255}$/, { message: 'dinteroTerminalId must be 1-255 of A-Z a-z 0-9 _ . : -' })
  dinteroTerminalId?: string;
}

/** The device behind a terminal name at Dintero. */
export class DinteroTerminalView {
  @ApiProperty({ example: 'T12345678-T0001', description: "Dintero's terminal_id: what sessions name" })
  terminalId!: string;
  @ApiProperty() deviceSerialNumber!: string;
  @ApiPropertyOptional() deviceModel?: string;
  @ApiProperty({
    enum: DINTERO_TERMINAL_STATUSES,
    description: 'Its status at Dintero as last seen; only ACTIVE takes payments',
  })
  status!: string;
  @ApiPropertyOptional({ example: 'CHECK_UPDATE' }) statusReason?: string;
}

export class RegisteredTerminalView {
  @ApiProperty({ example: 'till-1', description: "The chain's own name of the terminal: what the POS sends" })
  terminalId!: string;
  @ApiProperty({ description: 'Not deactivated here' }) active!: boolean;
  @ApiPropertyOptional({
    type: DinteroTerminalView,
    description: 'Absent for a terminal registered before devices were recorded: Dintero knows it by its name',
  })
  dintero?: DinteroTerminalView;
}

export class StoreView {
  @ApiProperty() storeId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() payoutDestinationId!: string;
  @ApiProperty() timeZone!: string;
  @ApiPropertyOptional({
    type: [String],
    example: ['NOK'],
    description: 'The currencies its terminals accept; absent for a store registered before currencies (any)',
  })
  currencies?: readonly string[];
  @ApiPropertyOptional({ example: 'T12345678-0001', description: "Dintero's own id of the store" })
  dinteroStoreId?: string;
  @ApiPropertyOptional({ example: '23:30', description: 'When its terminals close their day (local time)' })
  endOfDayTime?: string;
  @ApiProperty({ type: [RegisteredTerminalView] }) terminals!: RegisteredTerminalView[];
}

export class ImportSkipped {
  @ApiProperty() dinteroTerminalId!: string;
  @ApiProperty({ description: 'Why it was not imported' }) reason!: string;
  @ApiPropertyOptional({ description: 'The name it is registered under already' }) terminalId?: string;
}

/** What an import of a store's terminals at Dintero did: the same import again imports nothing new. */
export class TerminalImportView {
  @ApiProperty({ type: [RegisteredTerminalView], description: 'Registered now, each under its Dintero id' })
  imported!: RegisteredTerminalView[];
  @ApiProperty({ type: [ImportSkipped] }) skipped!: ImportSkipped[];
  @ApiProperty({ type: StoreView }) store!: StoreView;
}

export class TerminalHolder {
  @ApiProperty({
    enum: ['payment', 'refund', 'operation', 'device-change'],
    description: '`device-change`: the registry is changing the device behind the name, for a moment',
  })
  kind!: ClaimKind;
  @ApiPropertyOptional({
    description:
      "With `kind: payment` or `refund`; not for a refund of another store's payment that the key may not see",
  })
  paymentId?: string;
  @ApiPropertyOptional({ description: 'With `kind: operation`: see `GET /v1/terminal-operations/{id}`' })
  operationId?: string;
  @ApiProperty({ required: false, description: 'With `kind: refund`, when `paymentId` is given' }) refundId?: string;
  @ApiProperty({ description: 'When it took the terminal' }) since!: string;
  @ApiProperty({ description: 'When its hold lapses by itself if nothing ends it first' }) until!: string;
}

/** A terminal as its POS sees it: whether it is free, or which payment or refund holds it, until when. */
export class TerminalView {
  @ApiProperty() storeId!: string;
  @ApiProperty() terminalId!: string;
  @ApiProperty({ description: 'Registered and not deactivated' }) active!: boolean;
  @ApiProperty({ description: 'A payment or refund may start on it now' }) free!: boolean;
  @ApiPropertyOptional({ type: DinteroTerminalView, description: 'The device at Dintero, as last seen' })
  dintero?: DinteroTerminalView;
  @ApiProperty({ required: false, type: TerminalHolder }) holder?: TerminalHolder;
}
