import { isIP } from 'node:net';
import { applyDecorators } from '@nestjs/common';
import { Expose, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateBy,
} from 'class-validator';
import { DEFAULT_READ_ALL_TIMEOUT_MS, eventStoreUrlOf } from '@app/event-store';
import { DEFAULT_SETTLE_MS, NATS_PREFIX_PATTERN, NATS_PREFIX_RULE, NATS_REPLICAS_MAX } from '@app/messaging';
import { IsCallbackUrlFor } from './callback-url';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * class-transformer `@Transform` for a whole number read from the environment variable `name` (empty means unset).
 * It reads the variable's own text, as `EnvBool` does: the implicit conversion would already have made `0x10` 16,
 * `1e2` 100 and `0b1` 1, settings no operator means as written. Only decimal digits are read as a number; any
 * other text is passed on as it is, so that `IsInt` refuses it, naming the variable.
 */
export const intFrom =
  (name: string) =>
  ({ obj }: { obj: Record<string, unknown> }): unknown => {
    const text = obj[name];
    if (text === undefined || text === '') return undefined;
    if (typeof text !== 'string') return text;
    return /^\s*-?\d+\s*$/.test(text) ? Number(text) : text;
  };

/** A whole-number setting read from the environment variable `name`, within `min`..`max`. */
export function EnvInt(name: string, { min, max }: { min: number; max?: number }): PropertyDecorator {
  return applyDecorators(
    Expose({ name }),
    Transform(intFrom(name), { toClassOnly: true }),
    IsInt(),
    Min(min),
    ...(max === undefined ? [] : [Max(max)]),
  );
}

/**
 * A yes/no setting read from the environment variable `name`: `true` or `1`, `false` or `0`; unset keeps the
 * default, anything else is refused. It reads the variable's own text: the implicit conversion that numbers
 * need would have made any non-empty text, `false` too, `true` already.
 */
export function EnvBool(name: string): PropertyDecorator {
  const parse = ({ obj }: { obj: Record<string, unknown> }) => {
    const text = obj[name];
    if (text === undefined || text === '') return undefined;
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    return text;
  };
  return applyDecorators(
    Expose({ name }),
    Transform(parse, { toClassOnly: true }),
    IsBoolean({ message: `${name} must be true or false` }),
  );
}

/**
 * A setting for tests only (fault injection): refused with `NODE_ENV=production` unless `off` says it is unset, so
 * that a variable left in a deployment's environment cannot make the service kill itself.
 */
export function TestsOnly(name: string, off: (value: unknown) => boolean): PropertyDecorator {
  return ValidateBy({
    name: 'testsOnly',
    validator: {
      validate: (value: unknown, args) => off(value) || (args?.object as BaseAppConfig).nodeEnv !== 'production',
      defaultMessage: () => `${name} is for tests and is refused with NODE_ENV=production`,
    },
  });
}

/** What every app is configured with; each app's schema extends it and sets its own default port. */
export class BaseAppConfig {
  @Expose({ name: 'NODE_ENV' })
  @IsString()
  readonly nodeEnv: string = 'development';

  @Expose({ name: 'HOST' })
  @IsString()
  @IsNotEmpty()
  readonly host: string = '127.0.0.1';

  @EnvInt('PORT', { min: 0, max: 65_535 })
  readonly port: number = 3000;

  @Expose({ name: 'LOG_LEVEL' })
  @IsIn(LOG_LEVELS)
  readonly logLevel: LogLevel = 'info';

  /** Largest request body accepted, in bytes. */
  @EnvInt('HTTP_BODY_LIMIT', { min: 1_024, max: 10 * 1024 * 1024 })
  readonly bodyLimit: number = 64 * 1024;

  /** Requests a client (a POS key, or else an address) may make a minute; 0 turns the limit off. */
  @EnvInt('HTTP_RATE_LIMIT_PER_MINUTE', { min: 0, max: 10_000_000 })
  readonly rateLimitPerMinute: number = 6_000;

  /**
   * The proxies in front whose `X-Forwarded-For` and `X-Forwarded-Proto` name the client: their addresses or CIDR
   * ranges (`10.0.0.0/8`, or `loopback`, `linklocal`, `uniquelocal`), comma-separated, or how many hops. Unset,
   * nobody's: behind a TLS proxy every caller without a key then shares the proxy's address and rate limit.
   */
  @Expose({ name: 'TRUST_PROXY' })
  @ValidateBy({
    name: 'trustedProxies',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && trustedProxies(value) !== undefined,
      defaultMessage: () =>
        'TRUST_PROXY must be addresses or CIDR ranges of the proxies (or loopback, linklocal, uniquelocal), ' +
        'comma-separated, or a number of hops',
    },
  })
  readonly trustProxy: string = '';
}

/**
 * `TRUST_PROXY` as Fastify's `trustProxy` takes it: false when empty, the addresses and ranges, or for a hop count
 * a function trusting that many hops (as proxy-addr takes a number); undefined when it is none of these.
 */
export function trustedProxies(
  value: string,
): false | string[] | ((address: string, hop: number) => boolean) | undefined {
  if (value.trim() === '') return false;
  if (/^\d+$/.test(value.trim())) {
    const hops = Number(value.trim());
    return (_address, hop) => hop < hops;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const valid = (entry: string) => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
    const [address, bits, ...rest] = entry.split('/');
    const version = isIP(address ?? '');
    if (version === 0 || rest.length > 0) return false;
    return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
  };
  return entries.every(valid) ? entries : undefined;
}

// A mixin's base must take any constructor arguments (TypeScript's mixin rule), hence the `any[]`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor<T = object> = new (...args: any[]) => T;

/**
 * Adds `EVENT_STORE_URL`, `DATA_DIR` and `KURRENTDB_READ_ALL_TIMEOUT_MS` to an app's schema. Without
 * `EVENT_STORE_URL`, the log is `events.db` in `DATA_DIR` (`./data`), as `npm start` runs the engine.
 */
export function withEventStore<Base extends Constructor>(base: Base) {
  class EventStoreSettings extends base {
    /** `EVENT_STORE_URL` as set: read `eventStoreUrl`, which is the log whether it was set or not. */
    @Expose({ name: 'EVENT_STORE_URL' })
    @IsOptional()
    @Matches(/^(sqlite:.+|(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\/.+)$/, {
      message: 'EVENT_STORE_URL must be sqlite:<path>, kurrentdb://… or esdb://…',
    })
    readonly eventStoreUrlSet?: string;

    /** The folder of `npm start`'s embedded log, keys and secrets; its log is the apps' where EVENT_STORE_URL is unset. */
    @Expose({ name: 'DATA_DIR' })
    @IsOptional()
    @IsString()
    readonly dataDir?: string;

    /**
     * The event log: EVENT_STORE_URL, else `events.db` in DATA_DIR. A getter, since a setting's transform does not
     * run when its own variable is unset, which is when this one reads DATA_DIR.
     */
    get eventStoreUrl(): string {
      return eventStoreUrlOf({ EVENT_STORE_URL: this.eventStoreUrlSet, DATA_DIR: this.dataDir });
    }

    /**
     * How long a page of `$all` waits for KurrentDB before it fails as unavailable (and is read again): long, since a
     * filtered page may scan far for a few events. Unused on the embedded log.
     */
    @EnvInt('KURRENTDB_READ_ALL_TIMEOUT_MS', { min: 1_000, max: 3_600_000 })
    readonly kurrentDbReadAllTimeoutMs: number = DEFAULT_READ_ALL_TIMEOUT_MS;
  }
  return EventStoreSettings;
}

/** Adds `NATS_URL`, `NATS_PREFIX` and `NATS_REPLICAS` to an app's schema. */
export function withNats<Base extends Constructor>(base: Base) {
  class NatsSettings extends base {
    @Expose({ name: 'NATS_URL' })
    @Matches(/^(nats|tls|ws|wss):\/\/[^,]+(,(nats|tls|ws|wss):\/\/[^,]+)*$/, {
      message: 'NATS_URL must be one or more comma-separated nats:// or tls:// URLs',
    })
    readonly natsUrl: string = 'nats://127.0.0.1:4222';

    /** First token of every subject and bucket name (docs/design.md: `payments`). */
    @Expose({ name: 'NATS_PREFIX' })
    @Matches(NATS_PREFIX_PATTERN, { message: NATS_PREFIX_RULE })
    readonly natsPrefix: string = 'payments';

    /**
     * On how many servers of the NATS cluster every bucket, object store and stream the engine makes is kept: 3 on
     * a cluster of three, so that losing one server loses nothing; 1 on a single server, which can keep no more.
     * Buckets made before with fewer are raised to it at start; none is lowered (one kept on more, by hand or by an
     * app with a higher count, stays so, logged). Unset: new ones are made with one, and those that exist keep theirs.
     */
    @Expose({ name: 'NATS_REPLICAS' })
    @Transform(intFrom('NATS_REPLICAS'), { toClassOnly: true })
    @IsOptional()
    @IsInt({ message: `NATS_REPLICAS must be a whole number from 1 to ${NATS_REPLICAS_MAX}` })
    @Min(1, { message: `NATS_REPLICAS must be a whole number from 1 to ${NATS_REPLICAS_MAX}` })
    @Max(NATS_REPLICAS_MAX, { message: `NATS_REPLICAS must be a whole number from 1 to ${NATS_REPLICAS_MAX}` })
    readonly natsReplicas?: number;

    /**
     * How long a start waits on a stream of the NATS cluster whose peers change: new ones copying its messages after
     * a raise to NATS_REPLICAS (a large stream takes minutes), or another instance's change of it. Past it the start
     * goes on, said in the log, and NATS goes on copying.
     */
    @EnvInt('NATS_SETTLE_TIMEOUT_SECONDS', { min: 1, max: 3_600 })
    readonly natsSettleTimeoutSeconds: number = DEFAULT_SETTLE_MS / 1_000;
  }
  return NatsSettings;
}

const url = { require_tld: false, require_protocol: true };

/** Adds Dintero's API and the client credentials (the simulator's by default) to an app's schema. */
export function withDintero<Base extends Constructor>(base: Base) {
  class DinteroSettings extends base {
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

    @EnvInt('DINTERO_TIMEOUT_MS', { min: 100, max: 60_000 })
    readonly dinteroTimeoutMs: number = 10_000;

    /**
     * Where Dintero reaches the ingest service: callback URLs are built on it, and callbacks signed for it. With
     * Dintero's own Checkout URL, an https URL Dintero can reach (`IsCallbackUrlFor`).
     */
    @Expose({ name: 'INGEST_PUBLIC_URL' })
    @IsUrl(url)
    @IsCallbackUrlFor('dinteroCheckoutUrl')
    readonly ingestPublicUrl: string = 'http://127.0.0.1:3001';
  }
  return DinteroSettings;
}
