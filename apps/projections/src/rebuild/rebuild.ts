import type { NatsConnection } from '@nats-io/transport-node';
import type { EventStore } from '@app/event-store';
import { PROJECTED_STREAMS } from '../projector/projected-streams';
import { PaymentIndexBucket } from '../projector/payment-index.bucket';
import { ReadModelBuckets } from '../projector/read-model.buckets';
import { ReadModelProjector } from '../read-models/read-model.projector';
import { applyFromLog } from '../read-models/apply-from-log';
import type { Change } from '../read-models/read-model.types';

export const REBUILD_SUFFIX = '_rebuild';
const PAGE = 1_000;

export interface RebuildProgress {
  readonly applied: number;
  readonly position: bigint;
  readonly head: bigint;
}

export interface RebuildResult {
  readonly events: number;
  readonly documents: number;
  readonly position: bigint;
}

/**
 * `npm run projections:rebuild`: folds the whole log from position 0 into new buckets (`…_rebuild`) while
 * the live read models keep serving, follows the log until it has caught up, then offers the result to
 * the live projector, which adopts it (its documents replaced, its checkpoint moved) and carries on from
 * there. Without a live projector, the next one to start adopts it.
 */
export async function rebuildReadModels(
  store: EventStore,
  nats: NatsConnection,
  prefix: string,
  onProgress: (progress: RebuildProgress) => void = () => undefined,
): Promise<RebuildResult> {
  const old = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
  await old.destroy();
  const buckets = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
  // The payment index is written in place: its entries never change, so writing them again is harmless, and
  // a log from before the index (or an index lost) is indexed whole.
  const index = await PaymentIndexBucket.open(nats, prefix);
  const projector = new ReadModelProjector();
  let position = 0n;
  let applied = 0;
  // First the whole log as it is, then whatever was appended meanwhile, until a read finds nothing new.
  for (;;) {
    const head = await store.headPosition();
    const changed = new Map<string, Change>();
    for (;;) {
      const page = await store.readAll({ after: position, limit: PAGE, streamPrefixes: PROJECTED_STREAMS });
      if (page.length === 0) break;
      for (const event of page) {
        for (const change of await applyFromLog(store, projector, event))
          changed.set(`${change.model}:${change.key}`, change);
      }
      await index.put(page);
      applied += page.length;
      position = page[page.length - 1]!.position;
      onProgress({ applied, position, head: head > position ? head : position });
    }
    await buckets.put(changed.values());
    if (changed.size === 0) break;
  }
  await buckets.offerHandOver({ suffix: REBUILD_SUFFIX, position: position.toString() });
  return { events: applied, documents: projector.documents().length, position };
}
