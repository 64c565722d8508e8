import { Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class TokenRequestDto {
  @IsIn(['client_credentials'])
  grant_type!: string;

  @IsString()
  @IsNotEmpty()
  audience!: string;
}

/** `order.store`: for in-person payments `id`, `terminal_id` and `payout_destination_id` together (§2). */
export class SessionStoreDto {
  @IsString()
  @IsNotEmpty()
  id!: string;

  @IsString()
  @IsNotEmpty()
  terminal_id!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  payout_destination_id!: string;

  @IsOptional()
  @IsString()
  name?: string;
}

export class SessionOrderDto {
  @IsInt()
  @Min(0)
  amount!: number;

  @Matches(/^[A-Z]{3}$/)
  currency!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(1_000)
  merchant_reference!: string;

  @IsOptional()
  @IsString()
  merchant_reference_2?: string;

  @IsOptional()
  @IsInt()
  vat_amount?: number;

  @ValidateNested()
  @Type(() => SessionStoreDto)
  store!: SessionStoreDto;

  @IsOptional()
  @IsArray()
  items?: unknown[];
}

export class SessionUrlDto {
  @IsUrl({ require_tld: false, require_protocol: true })
  return_url!: string;

  // Dintero accepts HTTPS only and refuses 127.0.0.1 (§4); the simulator accepts http to localhost so
  // that the engine runs on one machine.
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  callback_url?: string;
}

export class CreateSessionDto {
  @IsString()
  @IsNotEmpty()
  profile_id!: string;

  @ValidateNested()
  @Type(() => SessionUrlDto)
  url!: SessionUrlDto;

  @ValidateNested()
  @Type(() => SessionOrderDto)
  order!: SessionOrderDto;

  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;

  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class RefundDto {
  @IsInt()
  @Min(1)
  amount!: number;

  @IsOptional()
  @IsString()
  reason?: string;

  @IsOptional()
  @IsString()
  refund_reference?: string;

  /**
   * Dintero requires the terminal for in-person refunds but its position in the body was not found
   * (§6); the simulator takes it at the top level.
   */
  @IsOptional()
  @IsString()
  terminal_id?: string;
}

export class CaptureDto {
  @IsInt()
  @Min(1)
  amount!: number;

  @IsOptional()
  @IsString()
  capture_reference?: string;
}

export class ListTransactionsQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsString()
  starting_after?: string;

  @IsOptional()
  @IsString()
  merchant_reference?: string;

  @IsOptional()
  status?: string | string[];

  @IsOptional()
  session_id?: string | string[];

  @IsOptional()
  store_id?: string | string[];

  @IsOptional()
  terminal_id?: string | string[];
}
