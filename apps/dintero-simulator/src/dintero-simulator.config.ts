import { Expose, Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches } from 'class-validator';
import { BaseAppConfig, EnvInt, intFrom } from '@app/platform';

export const SIMULATOR_CONFIG = Symbol('SIMULATOR_CONFIG');

export class DinteroSimulatorConfig extends BaseAppConfig {
  override readonly port: number = 3003;
  /** The engine's calls are not limited here: Dintero's own limits are simulated by chaos (`api429Rate`). */
  override readonly rateLimitPerMinute: number = 0;

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

  @EnvInt('SIM_TOKEN_TTL_SECONDS', { min: 1 })
  readonly tokenTtlSeconds: number = 14_400;

  /** How long a virtual terminal prompts before the card is presented. */
  @EnvInt('SIM_TERMINAL_DELAY_MS', { min: 0, max: 600_000 })
  readonly terminalDelayMs: number = 1_500;

  /** How long a terminal registered with a serial that is not a sandbox one stays `PENDING` (§10). */
  @EnvInt('SIM_TERMINAL_PROVISIONING_MS', { min: 0, max: 3_600_000 })
  readonly terminalProvisioningMs: number = 3_000;

  /** How long a terminal takes to answer a terminal operation (it is `PENDING` meanwhile). */
  @EnvInt('SIM_OPERATION_DELAY_MS', { min: 1, max: 600_000 })
  readonly operationDelayMs: number = 1_000;

  /** How long an ON_HOLD transaction stays on hold before it is captured. */
  @EnvInt('SIM_HOLD_MS', { min: 1, max: 600_000 })
  readonly holdMs: number = 2_000;

  /**
   * How long a transaction the amount table leaves `AUTHORIZED` (amounts ending in 45) waits for Dintero's automatic
   * capture; a cancel of its session meanwhile voids it.
   */
  @EnvInt('SIM_CAPTURE_DELAY_MS', { min: 1, max: 600_000 })
  readonly captureDelayMs: number = 2_000;

  /** How long the cardholder takes to confirm a refund Dintero answered with 202. */
  @EnvInt('SIM_REFUND_DELAY_MS', { min: 1, max: 600_000 })
  readonly refundDelayMs: number = 2_000;

  /** Session lifetime when `expires_at` is not given (Dintero documents no default). */
  @EnvInt('SIM_SESSION_TTL_SECONDS', { min: 1 })
  readonly sessionTtlSeconds: number = 300;

  @EnvInt('SIM_RETRY_BASE_MS', { min: 1 })
  readonly retryBaseMs: number = 1_000;

  /** Dintero gives up on a callback after 10 s (§4). */
  @EnvInt('SIM_DELIVERY_TIMEOUT_MS', { min: 1 })
  readonly deliveryTimeoutMs: number = 10_000;

  @Expose({ name: 'SIM_SEED' })
  @Transform(intFrom('SIM_SEED'), { toClassOnly: true })
  @IsInt()
  readonly seed: number = 1;

  /** JSON file with `{ payoutDestinations, stores, terminals, webhooks }` loaded at start. */
  @Expose({ name: 'SIM_SEED_FILE' })
  @IsOptional()
  @IsString()
  readonly seedFile: string = '';

  /**
   * File the simulator keeps its world in across restarts (stores, terminals, sessions, transactions, operations),
   * written when it stops and read when it starts; empty: in memory only.
   */
  @Expose({ name: 'SIM_STATE_FILE' })
  @IsOptional()
  @IsString()
  readonly stateFile: string = '';
}
