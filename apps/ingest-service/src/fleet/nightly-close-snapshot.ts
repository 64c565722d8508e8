import type { StoreState } from '@app/payment-domain';
import type { CheckpointKind } from '../checkpoints/log-checkpoints';
import type { CloseAttempt } from './close-attempt';
import type { CloseInServiceSnapshot } from './close-in-service';
import type { NightlyCloseIndex, ScheduleMove } from './nightly-close-index';
import type { UsePeriodsSnapshot } from './terminal-use-periods';

/**
 * The nightly close's checkpoint (`LogCheckpoints`): its index as of a position in the log, one object per log in
 * `{prefix}_nightly_close`. Its version is the shape of `NightlyCloseSnapshot`: change it with every field of the index
 * an older snapshot would miss, and the log is followed from its start once, as at a first start. Version 1 kept the
 * pause before a failed close's next attempt as worked out under the saving instance's `NIGHTLY_CLOSE_RETRY_SECONDS`,
 * with those settings beside it, and was passed over by an instance set otherwise; version 2 keeps when the attempt
 * ended (`CloseAttempt.endedAt`) and no setting. Version 3 keeps the first day the index was pruned to (`prunedTo`).
 */
export const NIGHTLY_CLOSE_CHECKPOINT: CheckpointKind = {
  name: 'nightly close',
  store: (names) => names.objectStores.nightlyClose,
  object: 'index',
  version: 3,
};

/** What the checkpoint keeps of the index. */
export interface NightlyCloseSnapshot {
  readonly index: {
    readonly stores: readonly (readonly [string, StoreState])[];
    readonly scheduleMoved: readonly (readonly [string, ScheduleMove])[];
    readonly registeredAt: readonly (readonly [string, number])[];
    readonly use: UsePeriodsSnapshot;
    readonly removed: readonly (readonly [string, readonly string[]])[];
    readonly tracedDays: readonly string[];
    readonly inService: CloseInServiceSnapshot;
    readonly closedByHand: readonly (readonly [string, readonly { readonly day: string; readonly at: number }[]])[];
    readonly handCloseOf: readonly (readonly [string, { readonly key: string; readonly requestedAt: number }])[];
    readonly handCloseAskedAt: readonly (readonly [string, number])[];
    readonly closes: readonly (readonly [string, CloseAttempt])[];
    readonly closeOf: readonly (readonly [string, { readonly key: string; readonly attempt: number }])[];
    /** `NightlyCloseIndex.prunedTo`: absent when the index was never pruned. */
    readonly prunedTo?: string;
  };
}

/**
 * The index as plain data: what it folded from the log, and nothing else, so that a start from it knows what a start
 * from the log's beginning knows once it has read as far. The closes are those the log has (`loggedCloses`), not this
 * instance's notes of them (`closes`: a busy terminal, a start that failed, each with the pause its own settings set,
 * and attempts it wrote that the log is not followed to yet, which the tail read after the checkpoint brings back).
 * Left out too: what one run of an instance knows (`seenDue`: the days it had due; `notMissed`: days found no missed
 * close, a look that asks NATS) and what a round works out again (`schedules`).
 */
export function snapshotOf(index: NightlyCloseIndex): NightlyCloseSnapshot {
  return {
    index: {
      stores: [...index.stores],
      scheduleMoved: [...index.scheduleMoved],
      registeredAt: [...index.registeredAt],
      use: index.use.snapshot(),
      removed: [...index.removed].map(([storeId, terminalIds]) => [storeId, [...terminalIds]]),
      tracedDays: [...index.tracedDays],
      inService: index.inService.snapshot(),
      closedByHand: [...index.closedByHand],
      handCloseOf: [...index.handCloseOf],
      handCloseAskedAt: [...index.handCloseAskedAt],
      closes: [...index.loggedCloses],
      // Which close each operation is, of those the log has: one written ahead of the log followed is read again.
      closeOf: [...index.closeOf].filter(([, { key }]) => index.loggedCloses.has(key)),
      ...(index.prunedTo === undefined ? {} : { prunedTo: index.prunedTo }),
    },
  };
}

/** Puts a snapshot in place of what the index folded (`snapshotOf`); what one run knows it leaves as it is. */
export function restoreInto(index: NightlyCloseIndex, { index: snapshot }: NightlyCloseSnapshot): void {
  const refill = <K, V>(map: Map<K, V>, entries: readonly (readonly [K, V])[]) => {
    map.clear();
    for (const [key, value] of entries) map.set(key, value);
  };
  refill(index.stores, snapshot.stores);
  refill(index.scheduleMoved, snapshot.scheduleMoved);
  refill(index.registeredAt, snapshot.registeredAt);
  index.use.restore(snapshot.use);
  refill(
    index.removed,
    snapshot.removed.map(([storeId, terminalIds]) => [storeId, new Set(terminalIds)] as const),
  );
  index.tracedDays.clear();
  for (const key of snapshot.tracedDays) index.tracedDays.add(key);
  index.inService.restore(snapshot.inService);
  refill(index.closedByHand, snapshot.closedByHand);
  refill(index.handCloseOf, snapshot.handCloseOf);
  refill(index.handCloseAskedAt, snapshot.handCloseAskedAt);
  refill(index.closes, snapshot.closes);
  refill(index.loggedCloses, snapshot.closes);
  refill(index.closeOf, snapshot.closeOf);
  index.prunedTo = snapshot.prunedTo;
}

/**
 * Why a snapshot cannot serve an instance that looks for missed closes from `lookBackFrom`, or `undefined` when it
 * can: pruned to a later day (`prunedTo`, by an instance set to look back fewer days, or this one before its
 * `NIGHTLY_CLOSE_LOOK_BACK_DAYS` grew), it has lost the traces of the days between, and a day missed among them would
 * never be given up. Read from the log's start instead, the index holds every day this instance looks back over.
 */
export function prunedPastLookBack({ index }: NightlyCloseSnapshot, lookBackFrom: string): string | undefined {
  if (index.prunedTo === undefined || index.prunedTo <= lookBackFrom) return undefined;
  return `was pruned to ${index.prunedTo}, after the first day this instance looks back to (${lookBackFrom}, NIGHTLY_CLOSE_LOOK_BACK_DAYS)`;
}
