import type { RecordedEvent } from '@app/event-store';
import { applyFromLog } from '../../src/read-models/apply-from-log';
import { ReadModelProjector } from '../../src/read-models/read-model.projector';
import type { Change, StoreDayDoc } from '../../src/read-models/read-model.types';
import { logStore } from './oracle-folds';

/**
 * A projector writing to a KV held in memory, as the live writer writes to NATS: each document by `{model}:{key}`,
 * a store day out of the projector's memory read back from it (`applyFromLog`), the log read back from `log`.
 */
export function kvFold(log: readonly RecordedEvent[]) {
  const kv = new Map<string, Change>();
  const projector = new ReadModelProjector();
  const write = (change: Change) => kv.set(`${change.model}:${change.key}`, structuredClone(change));
  const readDay = async (key: string) => kv.get(`store-day:${key}`)?.doc as StoreDayDoc | undefined;
  return {
    kv,
    projector,
    /** Folds `events`, each document it changes written to KV. */
    apply: (events: readonly RecordedEvent[]) => applyFromLog(logStore(log), projector, events, write, readDay),
    /** The store day as KV holds it. */
    day: (storeId: string, date: string) => kv.get(`store-day:${storeId}.${date}`)?.doc as StoreDayDoc | undefined,
  };
}

/**
 * KV's documents, by key, after folding `log` (`kvFold`), from the start, or with a projector started again from KV
 * (the documents as JSON, loaded) after its first `cut` events, and following the log from there.
 */
export async function kvAfter(log: readonly RecordedEvent[], cut = log.length): Promise<Map<string, Change['doc']>> {
  const first = kvFold(log);
  await first.apply(log.slice(0, cut));
  const resumed = kvFold(log);
  for (const [key, change] of first.kv) resumed.kv.set(key, change);
  for (const change of first.kv.values()) resumed.projector.load(JSON.parse(JSON.stringify(change)) as Change);
  await resumed.apply(log.slice(cut));
  return new Map([...resumed.kv].map(([key, change]) => [key, change.doc]));
}

/**
 * The documents written (the last of each, as JSON gives them), folding `log` event by event into KV (`kvFold`); past
 * days let go of from memory after each event when `retire`, and read back from KV as events need them.
 */
export async function documentsWritten(log: readonly RecordedEvent[], retire: boolean) {
  const fold = kvFold(log);
  for (const event of log) {
    await fold.apply([event]);
    if (retire) fold.projector.retirePastDays(event.position);
  }
  return Object.fromEntries(
    [...fold.kv].map(([key, change]) => [key, JSON.parse(JSON.stringify(change.doc)) as unknown]),
  );
}
