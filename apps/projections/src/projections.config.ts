import { Expose, Transform } from 'class-transformer';
import { IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
// The config file alone, not the library's entry: the rebuild's command loads this, and no Nest application.
import {
  BaseAppConfig,
  EnvBool,
  EnvInt,
  TestsOnly,
  withEventStore,
  withNats,
} from '@app/platform/config/base-app.config';
import { REBUILD_HEAP_MIB } from './rebuild/rebuild-heap';

/** An empty variable (as compose passes an unset `${VAR:-}`) is no value. */
const emptyIsUnset = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

export const PROJECTIONS_CONFIG = Symbol('PROJECTIONS_CONFIG');

export class ProjectionsConfig extends withNats(withEventStore(BaseAppConfig)) {
  override readonly port: number = 3002;

  /**
   * Most events applied before their documents are written. Live, a batch is whatever arrived together
   * (usually a few events); catching up, it is this many, so that a document changed by many events is
   * written once.
   */
  @EnvInt('PROJECTIONS_BATCH_SIZE', { min: 1, max: 1_000_000 })
  readonly batchSize: number = 20_000;

  /**
   * The projector's lease (NATS KV `{prefix}_projector_lease`): one instance writes the read models, and a
   * standby takes over within about this long after it dies. A bucket made with another length keeps it.
   */
  @EnvInt('PROJECTOR_LEASE_SECONDS', { min: 1, max: 300 })
  readonly projectorLeaseSeconds: number = 5;

  /**
   * How long the event feed (JetStream stream `PAYMENTS_EVENTS`) keeps an event: a consumer away for longer
   * catches up from the log instead. Older events are dropped first when either limit is reached.
   */
  @EnvInt('EVENT_FEED_MAX_AGE_HOURS', { min: 1, max: 24 * 366 })
  readonly feedMaxAgeHours: number = 7 * 24;

  /** The most the event feed holds on the NATS server's disk, in MiB (per replica). */
  @EnvInt('EVENT_FEED_MAX_MIB', { min: 1, max: 1024 * 1024 })
  readonly feedMaxMib: number = 10 * 1024;

  /**
   * `npm run projections:rebuild`'s JavaScript heap, in MiB (V8's old space). A rebuild's memory is bounded by
   * the fleet (its stores, terminals and each store's last days), about 70 MiB for 1,000 stores and 10,000
   * terminals; without a bound V8 lets garbage pile up to several times that. Raise it for a larger fleet.
   */
  @EnvInt('REBUILD_HEAP_MIB', { min: REBUILD_HEAP_MIB.min, max: REBUILD_HEAP_MIB.max })
  readonly rebuildHeapMib: number = REBUILD_HEAP_MIB.default;

  /**
   * The dashboard's operators and the hashes of their keys (JSON; `npm run operator-key` makes entries).
   * Without it nobody can sign in to the dashboard: it answers 401 and shows no data.
   */
  @Expose({ name: 'OPERATORS_FILE' })
  @Transform(emptyIsUnset, { toClassOnly: true })
  @IsOptional()
  @IsString({ message: 'OPERATORS_FILE must name the operator key file (see README: the dashboard)' })
  readonly operatorsFile?: string;

  /**
   * Signs dashboard sessions; every projections instance behind one address needs the same one. Without it,
   * each instance makes its own at start, and its sessions end when it restarts.
   */
  @Expose({ name: 'DASHBOARD_SESSION_SECRET' })
  @Transform(emptyIsUnset, { toClassOnly: true })
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'DASHBOARD_SESSION_SECRET must be at least 32 characters' })
  readonly dashboardSessionSecret?: string;

  /** How long a dashboard sign-in lasts. */
  @EnvInt('DASHBOARD_SESSION_HOURS', { min: 1, max: 24 * 31 })
  readonly dashboardSessionHours: number = 12;

  /** A terminal prompting or refunding for longer than this is listed among the dashboard's problems. */
  @EnvInt('DASHBOARD_STUCK_SECONDS', { min: 1, max: 3_600 })
  readonly dashboardStuckSeconds: number = 60;

  /**
   * When the read models in KV were folded by an older fold version than this release's (`FOLD_VERSION`), the
   * instance that writes them at start rebuilds them itself, once, as `npm run projections:rebuild` would, and adopts
   * the result. Off by default: a rebuild reads the whole log, and an operator may rather choose when.
   */
  @EnvBool('PROJECTIONS_REBUILD_WHEN_OUTDATED')
  readonly rebuildWhenOutdated: boolean = false;

  /**
   * Fault injection for crash tests only: at each step of a flush (documents written, changes published,
   * feed published, before the checkpoint) the process kills itself with this probability. 0 in production.
   */
  @Expose({ name: 'PROJECTIONS_FAULT_RATE' })
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)), { toClassOnly: true })
  @Min(0)
  @Max(1)
  @TestsOnly('PROJECTIONS_FAULT_RATE', (value) => value === 0)
  readonly faultRate: number = 0;
}
