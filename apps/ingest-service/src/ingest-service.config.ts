import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { BaseAppConfig, EnvInt, withDintero, withEventStore } from '@app/platform';

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export class IngestServiceConfig extends withDintero(withEventStore(BaseAppConfig)) {
  override readonly port: number = 3001;
  /** Dintero's deliveries come from a few addresses, in bursts: a higher limit than a POS key's. */
  override readonly rateLimitPerMinute: number = 60_000;

  /** The callback signature secret (`POST /v1/admin/signature`); unset, callbacks are not checked (loud warning). */
  @Expose({ name: 'DINTERO_CALLBACK_SECRET' })
  @IsOptional()
  @IsString()
  readonly callbackSecret?: string;

  /** The webhook subscription's HMAC-SHA1 secret; unset, webhooks are not checked (loud warning). */
  @Expose({ name: 'DINTERO_WEBHOOK_SECRET' })
  @IsOptional()
  @IsString()
  readonly webhookSecret?: string;

  /** Off only where another instance reconciles, or in tests of the delivery paths alone. */
  @Expose({ name: 'RECONCILER_ENABLED' })
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : value === 'true' || value === '1'))
  @IsBoolean()
  readonly reconcilerEnabled: boolean = true;

  /** How often the reconciler looks for payments that are due. */
  @EnvInt('RECONCILER_INTERVAL_MS', { min: 10, max: 600_000 })
  readonly reconcilerIntervalMs: number = 1_000;

  /** How long after a session's expiry Dintero's callback is waited for before Dintero is asked. */
  @EnvInt('RECONCILER_GRACE_SECONDS', { min: 0, max: 86_400 })
  readonly reconcilerGraceSeconds: number = 30;

  /** How long an unknown outcome (session creation, transaction, refund) is left before Dintero is asked. */
  @EnvInt('RECONCILER_UNKNOWN_DELAY_SECONDS', { min: 0, max: 86_400 })
  readonly reconcilerUnknownDelaySeconds: number = 5;

  /** At most this many payments settled per second: Dintero's rate limits are shared with everything else. */
  @EnvInt('RECONCILER_MAX_PER_SECOND', { min: 1, max: 10_000 })
  readonly reconcilerMaxPerSecond: number = 20;
}
