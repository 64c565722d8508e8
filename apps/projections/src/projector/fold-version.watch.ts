import type { Logger } from '@nestjs/common';
import type { PaymentMetrics } from '@app/platform';
import { FOLD_VERSION, foldVersionOutdated } from '../read-models/fold-version';
import type { RepairReason } from '../rebuild/repair-rebuild';

/** What `PROJECTIONS_REBUILD_WHEN_OUTDATED`'s rebuild logs. */
export const OLDER_FOLD: RepairReason = {
  starting: `rebuilding the read models from the log with fold version ${FOLD_VERSION} (PROJECTIONS_REBUILD_WHEN_OUTDATED)`,
  done: `the read models were rebuilt with fold version ${FOLD_VERSION}: the leader adopts them`,
  leftToAnother: 'another rebuild runs: the read models of an older fold are left to it',
  failed: `the rebuild with fold version ${FOLD_VERSION} failed: it is tried again after the pause`,
};

/** The fold version of the read models in KV as this instance knows it, said when it is older than this version's. */
export class FoldVersionWatch {
  /** The fold version of the read models in KV as this instance knows it (`Checkpoint.foldVersion`; see `note`). */
  private version: number | undefined = FOLD_VERSION;
  /** Whether this instance last said the read models were of an older fold (said again only when that changes). */
  private said = false;

  constructor(
    private readonly metrics: PaymentMetrics,
    private readonly logger: Logger,
  ) {}

  get foldVersion(): number | undefined {
    return this.version;
  }

  get saidOutdated(): boolean {
    return this.said;
  }

  /**
   * The fold version of the read models in KV, read from their checkpoint (or made so by replacing them): at
   * position 0 nothing is folded yet, and this version's fold writes them. Read models of an older fold are said
   * once (an error, with what to run) and shown by `payments_read_models_outdated`; nothing else changes: they are
   * served and folded on as they are, until a rebuild is adopted.
   */
  note(position: bigint, recorded: number | undefined): void {
    this.version = position === 0n ? FOLD_VERSION : recorded;
    const outdated = foldVersionOutdated(position, recorded);
    this.metrics.readModelsOutdated.set(outdated ? 1 : 0);
    if (outdated && !this.said)
      this.logger.error(
        { foldVersion: recorded ?? 'none', currentFoldVersion: FOLD_VERSION },
        `the read models in KV were folded by fold version ${recorded ?? 'none'}, older than this version's ` +
          `${FOLD_VERSION}: documents keep their older shape and figures until a rebuild is adopted. Run ` +
          '`npm run projections:rebuild` (docs/operations.md, "Rebuilding the read models")',
      );
    else if (!outdated && this.said)
      this.logger.log({ foldVersion: FOLD_VERSION }, 'the read models in KV are of this version’s fold now');
    this.said = outdated;
  }
}
