import { Expose, Transform } from 'class-transformer';
import { Max, Min } from 'class-validator';
import { BaseAppConfig, EnvInt, withEventStore, withNats } from '@app/platform';

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
   * How long the event feed (JetStream stream `PAYMENTS_EVENTS`) keeps an event: a consumer away for longer
   * catches up from the log instead. Older events are dropped first when either limit is reached.
   */
  @EnvInt('EVENT_FEED_MAX_AGE_HOURS', { min: 1, max: 24 * 366 })
  readonly feedMaxAgeHours: number = 7 * 24;

  /** The most the event feed holds on the NATS server's disk, in MiB (per replica). */
  @EnvInt('EVENT_FEED_MAX_MIB', { min: 1, max: 1024 * 1024 })
  readonly feedMaxMib: number = 10 * 1024;

  /**
   * Fault injection for crash tests only: at each step of a flush (documents written, changes published,
   * feed published, before the checkpoint) the process kills itself with this probability. 0 in production.
   */
  @Expose({ name: 'PROJECTIONS_FAULT_RATE' })
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)), { toClassOnly: true })
  @Min(0)
  @Max(1)
  readonly faultRate: number = 0;
}
