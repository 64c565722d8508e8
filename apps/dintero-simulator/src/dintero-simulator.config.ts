import { Expose, Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { BaseAppConfig, toInt } from '@app/platform';

export const SIMULATOR_CONFIG = Symbol('SIMULATOR_CONFIG');

export class DinteroSimulatorConfig extends BaseAppConfig {
  override readonly port: number = 3003;

  /** A sandbox account id: `T` and 8 digits (§1). */
  @Expose({ name: 'DINTERO_ACCOUNT_ID' })
  @Matches(/^[PT]\d{8}$/)
  readonly accountId: string = 'T12345678';

  @Expose({ name: 'DINTERO_CLIENT_ID' })
  @IsString()
  readonly clientId: string = 'simulator-client';

  @Expose({ name: 'DINTERO_CLIENT_SECRET' })
  @IsString()
  readonly clientSecret: string = 'simulator-secret';

  /** Signs callbacks with `Dintero-Signature` when set (§4). */
  @Expose({ name: 'DINTERO_CALLBACK_SECRET' })
  @IsOptional()
  @IsString()
  readonly callbackSecret: string = '';

  @Expose({ name: 'SIM_TOKEN_TTL_SECONDS' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  readonly tokenTtlSeconds: number = 14_400;

  /** How long a virtual terminal prompts before the card is presented. */
  @Expose({ name: 'SIM_TERMINAL_DELAY_MS' })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  readonly terminalDelayMs: number = 1_500;

  /** How long an ON_HOLD transaction stays on hold before it is captured. */
  @Expose({ name: 'SIM_HOLD_MS' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600_000)
  readonly holdMs: number = 2_000;

  /** Session lifetime when `expires_at` is not given (Dintero documents no default). */
  @Expose({ name: 'SIM_SESSION_TTL_SECONDS' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  readonly sessionTtlSeconds: number = 300;

  @Expose({ name: 'SIM_RETRY_BASE_MS' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  readonly retryBaseMs: number = 1_000;

  /** Dintero gives up on a callback after 10 s (§4). */
  @Expose({ name: 'SIM_DELIVERY_TIMEOUT_MS' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  readonly deliveryTimeoutMs: number = 10_000;

  @Expose({ name: 'SIM_SEED' })
  @Transform(toInt)
  @IsInt()
  readonly seed: number = 1;

  /** JSON file with `{ payoutDestinations, stores, terminals, webhooks }` loaded at start. */
  @Expose({ name: 'SIM_SEED_FILE' })
  @IsOptional()
  @IsString()
  readonly seedFile: string = '';
}
