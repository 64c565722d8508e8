import { Expose } from 'class-transformer';
import { IsIn, IsNotEmpty, IsString, IsUrl } from 'class-validator';
import { BaseAppConfig, EnvInt, TestsOnly, withDintero, withEventStore, withNats } from '@app/platform';

const url = { require_tld: false, require_protocol: true };

export const COMMAND_CONFIG = Symbol('COMMAND_CONFIG');

/** The steps of a start and a refund where a test may kill the service (`FAULT_POINT`, see `fault-points.ts`). */
export const FAULT_POINTS = [
  'start:after-claim',
  'start:after-request',
  'start:after-session',
  'start:before-answer',
  'refund:after-claim',
  'refund:after-request',
  'refund:after-dintero',
  'refund:before-answer',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export class CommandServiceConfig extends withDintero(withNats(withEventStore(BaseAppConfig))) {
  override readonly port: number = 3000;

  /** The payment profile with Seitatech in-person payments enabled (§2). */
  @Expose({ name: 'DINTERO_PROFILE_ID' })
  @IsString()
  @IsNotEmpty()
  readonly dinteroProfileId: string = 'in-store';

  /** `url.return_url` is required by Dintero's schema even for terminal sessions (§2). */
  @Expose({ name: 'DINTERO_RETURN_URL' })
  @IsUrl(url)
  readonly returnUrl: string = 'http://127.0.0.1:3000/v1/return';

  /**
   * Commands and payment queries a POS client may send a minute over NATS, in each instance, as
   * `HTTP_RATE_LIMIT_PER_MINUTE` over HTTP; 0 turns the limit off.
   */
  @EnvInt('NATS_RATE_LIMIT_PER_MINUTE', { min: 0, max: 10_000_000 })
  readonly natsRateLimitPerMinute: number = 6_000;

  /** How long the customer has at the terminal: the session's `expires_at`. */
  @EnvInt('SESSION_TTL_SECONDS', { min: 10, max: 3_600 })
  readonly sessionTtlSeconds: number = 120;

  /** How long after the session's expiry a terminal claim lapses by itself, for the reconciler to settle first. */
  @EnvInt('CLAIM_MARGIN_SECONDS', { min: 0, max: 3_600 })
  readonly claimMarginSeconds: number = 60;

  /**
   * How long a terminal operation may hold its terminal: long enough for Dintero to answer it (the terminal
   * answers, or Dintero reports `TIMEOUT`); the reconciler frees the terminal as soon as it has an outcome.
   */
  @EnvInt('OPERATION_CLAIM_SECONDS', { min: 10, max: 86_400 })
  readonly operationClaimSeconds: number = 900;

  /**
   * How long a request with an Idempotency-Key counts as running. A retry with the same key within it gets
   * `409 IDEMPOTENT_REQUEST_IN_PROGRESS` with `Retry-After`; after it the first request is presumed dead and
   * the retry resumes it from its last recorded step. Longer than a request normally takes: a slow one past its
   * lease is harmless (each Dintero call is made once, and only the lease's holder records the answer), but it
   * has a second run beside it. 60 s covers a token fetch and a session call at their worst.
   */
  @EnvInt('IDEMPOTENCY_LEASE_SECONDS', { min: 1, max: 600 })
  readonly idempotencyLeaseSeconds: number = 60;

  /** Test only: a step where the service kills itself (see `fault-points.ts`). Refused in production. */
  @Expose({ name: 'FAULT_POINT' })
  @IsIn(['', ...FAULT_POINTS], { message: `FAULT_POINT must be one of ${FAULT_POINTS.join(', ')} (tests only)` })
  @TestsOnly('FAULT_POINT', (value) => value === '')
  readonly faultPoint: '' | FaultPoint = '';

  /**
   * The POS clients and the hashes of their API keys (JSON; `npm run pos-key` makes entries). Required:
   * the service does not run without credentials.
   */
  @Expose({ name: 'POS_CLIENTS_FILE' })
  @IsString({ message: 'POS_CLIENTS_FILE must name the POS API key file (see README: POS credentials)' })
  @IsNotEmpty({ message: 'POS_CLIENTS_FILE must name the POS API key file (see README: POS credentials)' })
  readonly posClientsFile!: string;
}
