import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
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
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { DINTERO_MAX_AMOUNT, isDinteroCurrency } from '@app/dintero';

/** The specification's `Metadata`: `{ [key: string]: string | number }`, no object, list or flag as a value. */
const IsDinteroMetadata = () =>
  ValidateBy({
    name: 'isDinteroMetadata',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((each) => typeof each === 'string' || typeof each === 'number'),
      defaultMessage: (args) => `${args?.property ?? 'metadata'}: each value a string or a number`,
    },
  });

/**
 * The specification's `Format: iso4217-code`, by the list the engine checks its currencies against, where the
 * simulator took class-validator's `IsISO4217CurrencyCode` (validator.js's list, without XCG or ZWG) and a store the
 * engine took in one had every session refused here.
 */
const IsDinteroCurrency = () =>
  ValidateBy({
    name: 'isDinteroCurrency',
    validator: {
      validate: (value: unknown) => isDinteroCurrency(value),
      defaultMessage: () => '$property must be a valid ISO4217 currency code',
    },
  });

export class TokenRequestDto {
  @ApiProperty({ enum: ['client_credentials'] })
  @IsIn(['client_credentials'])
  grant_type!: string;

  @ApiProperty({ description: 'The account URL: {DINTERO_API_URL}/v1/accounts/{aid}' })
  @IsString()
  @IsNotEmpty()
  audience!: string;
}

/** `order.store`: for in-person payments `id`, `terminal_id` and `payout_destination_id` together (§2). */
export class SessionStoreDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  id!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  terminal_id!: string;

  @ApiProperty({ maxLength: 40 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  payout_destination_id!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  name?: string;
}

export class SessionOrderDto {
  @ApiProperty({ type: 'integer', description: 'In minor units: 39900 is 399.00 NOK', maximum: DINTERO_MAX_AMOUNT })
  @IsInt()
  @Min(0)
  @Max(DINTERO_MAX_AMOUNT)
  amount!: number;

  /** The specification's `Format: iso4217-code`: a code of ISO 4217's list, upper case. */
  @ApiProperty({ pattern: '^[A-Z]{3}$', example: 'NOK' })
  @Matches(/^[A-Z]{3}$/)
  @IsDinteroCurrency()
  currency!: string;

  @ApiProperty({ maxLength: 1000 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1_000)
  merchant_reference!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  merchant_reference_2?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'In minor units', maximum: DINTERO_MAX_AMOUNT })
  @IsOptional()
  @IsInt()
  @Max(DINTERO_MAX_AMOUNT)
  vat_amount?: number;

  @ApiProperty({ type: () => SessionStoreDto })
  @ValidateNested()
  @Type(() => SessionStoreDto)
  store!: SessionStoreDto;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray()
  items?: unknown[];
}

export class SessionUrlDto {
  @ApiProperty()
  @IsUrl({ require_tld: false, require_protocol: true })
  return_url!: string;

  // Dintero accepts HTTPS only and refuses 127.0.0.1 (§4); the simulator accepts http to localhost so
  // that the engine runs on one machine.
  @ApiPropertyOptional()
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  callback_url?: string;
}

export class CreateSessionDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  profile_id!: string;

  @ApiProperty({ type: () => SessionUrlDto })
  @ValidateNested()
  @Type(() => SessionUrlDto)
  url!: SessionUrlDto;

  @ApiProperty({ type: () => SessionOrderDto })
  @ValidateNested()
  @Type(() => SessionOrderDto)
  order!: SessionOrderDto;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "Each value a string or a number (the specification's `Metadata`)",
  })
  @IsOptional()
  @IsObject()
  @IsDinteroMetadata()
  metadata?: Record<string, string | number>;
}

export class RefundDto {
  @ApiProperty({ type: 'integer', description: 'In minor units', maximum: DINTERO_MAX_AMOUNT })
  @IsInt()
  @Min(1)
  @Max(DINTERO_MAX_AMOUNT)
  amount!: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  reason?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  refund_reference?: string;

  /**
   * Dintero requires the terminal for in-person refunds but its position in the body was not found
   * (§6); the simulator takes it at the top level.
   */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  terminal_id?: string;
}

export class CaptureDto {
  @ApiProperty({ type: 'integer', description: 'In minor units', maximum: DINTERO_MAX_AMOUNT })
  @IsInt()
  @Min(1)
  @Max(DINTERO_MAX_AMOUNT)
  amount!: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  capture_reference?: string;
}

/** A query parameter given once or several times (`?status=A&status=B`), as a list (`@Transform`). */
export const oneOrSeveral = ({ value }: { value: unknown }): unknown =>
  value === undefined ? undefined : [value].flat();

/** An optional query parameter of strings, given once or several times. */
export const OneOrSeveralStrings = (description?: string) =>
  applyDecorators(
    ApiPropertyOptional({ type: [String], ...(description ? { description } : {}) }),
    IsOptional(),
    Transform(oneOrSeveral),
    IsArray(),
    IsString({ each: true }),
  );

/** Dintero's paging of a list: `limit` 1-100 (default 10) and the cursor `starting_after`. */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  starting_after?: string;
}

/** What `GET /v1/transactions/{id}?includes=…` may add, as the specification lists it. */
export const TRANSACTION_INCLUDES = [
  'card.payment_token',
  'card.recurrence_token',
  'session',
  'session.events.latest',
  'events.request_headers',
  'events.success.true',
  'initiating_system_request_headers',
] as const;

/**
 * `GET /v1/transactions/{id}`: `includes`, one value or several. The simulator adds the session (`session`, or with
 * only its latest event `session.events.latest`); it has no payment tokens or request headers to add for the others.
 */
export class TransactionQuery {
  @ApiPropertyOptional({ type: [String], enum: TRANSACTION_INCLUDES })
  @IsOptional()
  @Transform(oneOrSeveral)
  @IsArray()
  @IsIn(TRANSACTION_INCLUDES, { each: true })
  includes?: (typeof TRANSACTION_INCLUDES)[number][];
}
