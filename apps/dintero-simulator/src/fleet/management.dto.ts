import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { OneOrSeveralStrings, PageQuery } from '../api/dintero-api.dto';
import { TERMINAL_STATUSES, type TerminalStatus } from '../state/simulator-state';

export class StoreOrganizationDto {
  @ApiProperty({ example: '923663487' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  organization_number!: string;
}

export class StorePayoutDestinationDto {
  @ApiProperty({ example: 'seller-1' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  payout_destination_id!: string;
}

/** `POST /v1/accounts/{aid}/stores` (§10): the fields the simulator keeps; Dintero takes more (address, phone). */
export class CreateStoreDto {
  @ApiProperty({ example: 'oslo-center', description: 'Your own store id: `order.store.id` of its sessions' })
  @Matches(/^[A-Za-z0-9_.:-]{1,100}$/)
  store_id!: string;

  @ApiPropertyOptional({ example: 'Oslo Center' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  store_name?: string;

  @ApiPropertyOptional({ type: StoreOrganizationDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => StoreOrganizationDto)
  organization?: StoreOrganizationDto;

  @ApiProperty({ type: StorePayoutDestinationDto })
  @ValidateNested()
  @Type(() => StorePayoutDestinationDto)
  payout_destination!: StorePayoutDestinationDto;
}

/**
 * `POST /v1/accounts/{aid}/terminals` (§10). No `device_model` since Dintero's changelog of 2026-06-03: the model is
 * resolved from the serial number, and a body naming one is refused as any unknown field is.
 */
export class RegisterTerminalDto {
  @ApiProperty({ example: 'SIMULATED-T12345678-001' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  device_serial_number!: string;

  @ApiProperty({ example: 'oslo-center', description: 'Your own store id' })
  @IsString()
  @IsNotEmpty()
  store_id!: string;
}

/** `GET /v1/accounts/{aid}/terminals`: its documented filters and cursor. */
export class ListTerminalsQuery extends PageQuery {
  @OneOrSeveralStrings()
  store_id?: string[];

  @OneOrSeveralStrings()
  payout_destination_id?: string[];

  @ApiPropertyOptional({ enum: TERMINAL_STATUSES })
  @IsOptional()
  @IsIn(TERMINAL_STATUSES)
  status?: TerminalStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  device_serial_number?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  device_model?: string;

  @ApiPropertyOptional({ enum: ['store'] })
  @IsOptional()
  @IsIn(['store'])
  includes?: 'store';
}

/** `GET /v1/accounts/{aid}/stores`: the cursor. */
export class ListStoresQuery extends PageQuery {}

/** `POST /v1/admin/terminals/operations` (§10). */
export class OperationParametersDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  operator_id?: string;
}

export class SendOperationDto {
  @ApiProperty({ example: 'T12345678-T0001' })
  @IsString()
  @IsNotEmpty()
  terminal_id!: string;

  @ApiProperty({ enum: ['end_of_day', 'send_logs', 'check_update'] })
  @IsIn(['end_of_day', 'send_logs', 'check_update'])
  operation!: 'end_of_day' | 'send_logs' | 'check_update';

  @ApiPropertyOptional({ type: OperationParametersDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => OperationParametersDto)
  parameters?: OperationParametersDto;
}

export class ListOperationsQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  terminal_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  operation_id?: string;
}
