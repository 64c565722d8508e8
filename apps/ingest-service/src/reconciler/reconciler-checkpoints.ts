import type { CheckpointKind } from '../checkpoints/log-checkpoints';
import type { DueSnapshot } from './due-payments';

/** The reconciler's snapshot: what is due, as of its checkpoint's position. */
export interface ReconcilerSnapshot {
  readonly due: DueSnapshot;
}

/**
 * The reconciler's checkpoint (`LogCheckpoints`): what is due as of a position in the log, one object per log in
 * `{prefix}_reconciler`.
 *
 * Its version is the shape of the snapshot this version writes and reads. Version 1 was kept while entries gained
 * fields an older version never wrote (`transactionUnknown`, `cancelling`): read as false, they left a cancel asked for
 * before the checkpoint unsent until the session's end, and an unknown transaction unasked until then once its session
 * was recorded. Which payments lack them cannot be told from the snapshot, and the log alone can say, so the whole log
 * is folded once per such upgrade, as at a first start or over a restored log: reads of every payment and terminal
 * event, memory only for the open payments. Change it with every field an older snapshot would miss.
 */
export const RECONCILER_CHECKPOINT: CheckpointKind = {
  name: 'reconciler',
  store: (names) => names.objectStores.reconciler,
  object: 'due-payments',
  version: 2,
};
