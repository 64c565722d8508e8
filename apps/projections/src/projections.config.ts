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
   * Fault injection for crash tests only: at each step of a flush (documents written, changes published,
   * feed published, before the checkpoint) the process kills itself with this probability. 0 in production.
   */
  @Expose({ name: 'PROJECTIONS_FAULT_RATE' })
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @Min(0)
  @Max(1)
  readonly faultRate: number = 0;
}
