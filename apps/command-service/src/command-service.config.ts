import { Expose } from 'class-transformer';
import { IsNotEmpty, IsString, IsUrl, Matches } from 'class-validator';
import { BaseAppConfig, EnvInt, withEventStore, withNats } from '@app/platform';

const url = { require_tld: false, require_protocol: true };

export class CommandServiceConfig extends withNats(withEventStore(BaseAppConfig)) {
  override readonly port: number = 3000;

  /** Dintero's API (token endpoint); the simulator in development. */
  @Expose({ name: 'DINTERO_API_URL' })
  @IsUrl(url)
  readonly dinteroApiUrl: string = 'http://127.0.0.1:3003';

  /** Dintero's Checkout API (sessions, transactions); the simulator in development. */
  @Expose({ name: 'DINTERO_CHECKOUT_URL' })
  @IsUrl(url)
  readonly dinteroCheckoutUrl: string = 'http://127.0.0.1:3003';

  @Expose({ name: 'DINTERO_ACCOUNT_ID' })
  @Matches(/^[PT]\d{8}$/, { message: 'DINTERO_ACCOUNT_ID must be P or T and 8 digits' })
  readonly dinteroAccountId: string = 'T12345678';

  @Expose({ name: 'DINTERO_CLIENT_ID' })
  @IsString()
  @IsNotEmpty()
  readonly dinteroClientId: string = 'simulator-client';

  @Expose({ name: 'DINTERO_CLIENT_SECRET' })
  @IsString()
  @IsNotEmpty()
  readonly dinteroClientSecret: string = 'simulator-secret';

  /** The payment profile with Seitatech in-person payments enabled (§2). */
  @Expose({ name: 'DINTERO_PROFILE_ID' })
  @IsString()
  @IsNotEmpty()
  readonly dinteroProfileId: string = 'in-store';

  /** Where Dintero reaches the ingest service: callback URLs are built on it. */
  @Expose({ name: 'INGEST_PUBLIC_URL' })
  @IsUrl(url)
  readonly ingestPublicUrl: string = 'http://127.0.0.1:3001';

  /** `url.return_url` is required by Dintero's schema even for terminal sessions (§2). */
  @Expose({ name: 'DINTERO_RETURN_URL' })
  @IsUrl(url)
  readonly returnUrl: string = 'http://127.0.0.1:3000/v1/return';

  /** How long the customer has at the terminal: the session's `expires_at`. */
  @EnvInt('SESSION_TTL_SECONDS', { min: 10, max: 3_600 })
  readonly sessionTtlSeconds: number = 120;

  /** How long after the session's expiry a terminal claim lapses by itself, for the reconciler to settle first. */
  @EnvInt('CLAIM_MARGIN_SECONDS', { min: 0, max: 3_600 })
  readonly claimMarginSeconds: number = 60;

  @EnvInt('DINTERO_TIMEOUT_MS', { min: 100, max: 60_000 })
  readonly dinteroTimeoutMs: number = 10_000;
}
