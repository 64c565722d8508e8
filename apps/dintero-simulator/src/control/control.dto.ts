import { TERMINAL_STATUSES, type RefundMode, type TerminalStatus } from '../state/simulator-state';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { WEBHOOK_EVENTS, type WebhookEvent } from '../delivery/delivery.service';
import {
  ArrayNotEmpty,
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
  IsBoolean,
} from 'class-validator';

const ID = /^[A-Za-z0-9_.:-]{1,100}$/;

export class SeedStoreDto {
  @ApiProperty()
  @Matches(ID)
  id!: string;

  @ApiProperty()
  @Matches(ID)
  payout_destination_id!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  name?: string;
}

export class SeedTerminalDto {
  @ApiProperty()
  @Matches(ID)
  terminal_id!: string;

  @ApiProperty()
  @Matches(ID)
  store_id!: string;

  @ApiPropertyOptional({ enum: ['ACTIVE', 'INACTIVE'] })
  @IsOptional()
  @IsIn(['ACTIVE', 'INACTIVE'])
  status?: 'ACTIVE' | 'INACTIVE';

  @ApiPropertyOptional({
    description:
      'The customer at this terminal never answers by itself (SIM_TERMINAL_DELAY_MS does not apply): only `/present` does, or the session expires',
  })
  @IsOptional()
  @IsBoolean()
  unattended?: boolean;
}

export class WebhookDto {
  @ApiProperty()
  @IsUrl({ require_tld: false, require_protocol: true })
  url!: string;

  @ApiProperty()
  @IsString()
  @MinLength(8)
  secret!: string;

  /** The checkout events the subscription is for, as Dintero's `events`; both when left out. */
  @ApiPropertyOptional({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(WEBHOOK_EVENTS, { each: true })
  events?: WebhookEvent[];
}

/** Virtual payout destinations, stores and terminals; the same shape as `SIM_SEED_FILE`. */
export class SeedDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @Matches(ID, { each: true })
  payoutDestinations?: string[];

  @ApiPropertyOptional({ type: () => [SeedStoreDto] })
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => SeedStoreDto)
  stores?: SeedStoreDto[];

  @ApiPropertyOptional({ type: () => [SeedTerminalDto] })
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => SeedTerminalDto)
  terminals?: SeedTerminalDto[];

  @ApiPropertyOptional({ type: () => [WebhookDto] })
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => WebhookDto)
  webhooks?: WebhookDto[];
}

export class TerminalStatusDto {
  @ApiProperty({ enum: TERMINAL_STATUSES })
  @IsIn(TERMINAL_STATUSES)
  status!: TerminalStatus;

  /** With `ACTION_REQUIRED` (default `CHECK_UPDATE`) or `ERROR`. */
  @ApiPropertyOptional({ example: 'CHECK_UPDATE' })
  @IsOptional()
  @Matches(/^[A-Z_]{1,40}$/)
  status_reason?: string;
}

export class RefundModeDto {
  /**
   * `sync` (200), `async_approve` or `async_decline` (202, then the `REFUND` event), `async_stall` (202, and the
   * terminal never finishes it: no `REFUND` event); absent: by amount.
   */
  @ApiPropertyOptional({ enum: ['sync', 'async_approve', 'async_decline', 'async_stall'] })
  @IsOptional()
  @IsIn(['sync', 'async_approve', 'async_decline', 'async_stall'])
  mode?: RefundMode;
}

export class OutcomeDto {
  /** An outcome name from the README's table, e.g. `approved:visa:contactless`, `declined:insufficient_funds`, `cancelled`. */
  @ApiPropertyOptional({ example: 'approved:visa:contactless' })
  @IsOptional()
  @IsString()
  outcome?: string;
}

export class CallbackSecretDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  secret?: string;
}

const YEAR_MS = 366 * 24 * 3600 * 1000;

/** How far Dintero's record clock runs from real time, in milliseconds (0: real time). */
export class ClockDto {
  @ApiProperty({ type: 'integer', description: 'Milliseconds; 0 is real time' })
  @IsInt()
  @Min(-YEAR_MS)
  @Max(YEAR_MS)
  offsetMs!: number;
}

/** How the terminal's next operations end, in order (`[]` back to completing them, or chaos). */
export class OperationOutcomesDto {
  @ApiProperty({ enum: ['COMPLETED', 'FAILED', 'TIMEOUT'], isArray: true, example: ['TIMEOUT'] })
  @IsArray()
  @IsIn(['COMPLETED', 'FAILED', 'TIMEOUT'], { each: true })
  outcomes!: ('COMPLETED' | 'FAILED' | 'TIMEOUT')[];
}

/** Added to every end-of-day close's totals of the terminal, so that its batch disagrees with the truth; `{}` resets. */
export class BatchSkewDto {
  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @IsInt()
  @Min(-1_000_000)
  @Max(1_000_000)
  purchasesCount?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'In minor units' })
  @IsOptional()
  @IsInt()
  @Min(-1e12)
  @Max(1e12)
  purchasesAmount?: number;
  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @IsInt()
  @Min(-1_000_000)
  @Max(1_000_000)
  reversalsCount?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'In minor units' })
  @IsOptional()
  @IsInt()
  @Min(-1e12)
  @Max(1e12)
  reversalsAmount?: number;
}
