import type { RefundMode } from '../state/simulator-state';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

const ID = /^[A-Za-z0-9_.:-]{1,100}$/;

export class SeedStoreDto {
  @Matches(ID)
  id!: string;

  @Matches(ID)
  payout_destination_id!: string;

  @IsOptional()
  @IsString()
  name?: string;
}

export class SeedTerminalDto {
  @Matches(ID)
  terminal_id!: string;

  @Matches(ID)
  store_id!: string;

  @IsOptional()
  @IsIn(['ACTIVE', 'INACTIVE'])
  status?: 'ACTIVE' | 'INACTIVE';
}

export class WebhookDto {
  @IsUrl({ require_tld: false, require_protocol: true })
  url!: string;

  @IsString()
  @MinLength(8)
  secret!: string;
}

/** Virtual payout destinations, stores and terminals; the same shape as `SIM_SEED_FILE`. */
export class SeedDto {
  @IsOptional()
  @IsArray()
  @Matches(ID, { each: true })
  payoutDestinations?: string[];

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => SeedStoreDto)
  stores?: SeedStoreDto[];

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => SeedTerminalDto)
  terminals?: SeedTerminalDto[];

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => WebhookDto)
  webhooks?: WebhookDto[];
}

export class TerminalStatusDto {
  @IsIn(['ACTIVE', 'INACTIVE'])
  status!: 'ACTIVE' | 'INACTIVE';
}

export class RefundModeDto {
  /** `sync` (200), `async_approve` or `async_decline` (202, then the `REFUND` event); absent: by amount. */
  @IsOptional()
  @IsIn(['sync', 'async_approve', 'async_decline'])
  mode?: RefundMode;
}

export class OutcomeDto {
  /** An outcome name from the README's table, e.g. `approved:visa:contactless`, `declined:insufficient_funds`, `cancelled`. */
  @IsOptional()
  @IsString()
  outcome?: string;
}

export class CallbackSecretDto {
  @IsOptional()
  @IsString()
  secret?: string;
}

const YEAR_MS = 366 * 24 * 3600 * 1000;

/** How far Dintero's record clock runs from real time, in milliseconds (0: real time). */
export class ClockDto {
  @IsInt()
  @Min(-YEAR_MS)
  @Max(YEAR_MS)
  offsetMs!: number;
}
