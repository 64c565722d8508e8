import { isDeepStrictEqual } from 'node:util';
import type { RecordedEvent } from '@app/event-store';
import { applyFromLog } from '../src/read-models/apply-from-log';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import type { Change, StoreDayDoc } from '../src/read-models/read-model.types';
import { closeLog, totals } from './support/close-log';
import { kvAfter } from './support/kv-fold';
import { logStore } from './support/oracle-folds';
import { saleHeardAfterOldClose } from './support/swap-back-logs';

/**
 * A device swapped back while its own old close pends (D-A, D-B, D-A again), the projector dying inside a flush: the
 * store days are written first (`daysFirst`), then the terminal, and the process may die between them. A projector
 * then loads KV and follows the log from the checkpoint (the flush's first event). It ends with the documents one fold
 * gives: the old close heard of after the device's next close corrects that close too (`takenBackAtSwapBack`), and a
 * sale heard of after the old close ended is counted in it, on the store day folded again over the terminal's.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

/** D-A's old close, dated after it came back, heard of after its next close (which took D-A's sale at 17:11). */
function heardAfterNextClose() {
  const log = closeLog(DAY);
  const { requested, completed, sale, enrolled } = log;
  enrolled('D-A', at('00:00:00'));
  requested('a-close-1', at('16:59:50'));
  enrolled('D-B', at('17:00:00'));
  sale('b-1', at('17:05:00'), 'D-B');
  enrolled('D-A', at('17:10:00'));
  sale('a-0', at('16:59:52'), 'D-A');
  sale('a-1', at('17:11:00'), 'D-A');
  requested('a-close-2', at('17:30:00'));
  completed('a-close-2', at('17:30:05'), totals(0));
  completed('a-close-1', at('17:12:00'), totals(2));
  return log.log;
}

/** D-A's sale at 17:11 heard of after its old close (17:12) ended, another old close pending. */
const heardAfterOldClose = () => saleHeardAfterOldClose(DAY).log;

/**
 * KV after folding `log` in flushes of `size` events; the flush of batch `crashAt` writes its store days alone and the
 * process dies, a projector then loading KV and following the log from that flush's first event.
 */
async function kvAfterCrash(
  log: readonly RecordedEvent[],
  size: number,
  crashAt: number,
): Promise<Map<string, Change>> {
  const kv = new Map<string, Change>();
  const readDay = (key: string) => Promise.resolve(kv.get(`store-day:${key}`)?.doc as StoreDayDoc | undefined);
  const run = async (projector: ReadModelProjector, from: number, crash: number | undefined) => {
    for (let start = from, batch = Math.floor(from / size); start < log.length; start += size, batch++) {
      const pending = new Map<string, Change>();
      const write = (c: Change) => pending.set(`${c.model}:${c.key}`, structuredClone(c));
      await applyFromLog(logStore(log), projector, log.slice(start, start + size), write, readDay);
      for (const [k, c] of pending) if (c.model === 'store-day') kv.set(k, c);
      if (batch === crash) return start;
      for (const [k, c] of pending) if (c.model !== 'store-day') kv.set(k, c);
    }
    return undefined;
  };
  const checkpoint = await run(new ReadModelProjector(), 0, crashAt);
  if (checkpoint !== undefined) {
    const resumed = new ReadModelProjector();
    for (const change of kv.values()) resumed.load(JSON.parse(JSON.stringify(change)) as Change);
    await run(resumed, checkpoint, undefined);
  }
  return kv;
}

/** The documents without their positions (a flush folded again stamps its own). */
const noPositions = (docs: Iterable<[string, unknown]>): unknown =>
  JSON.parse(JSON.stringify(Object.fromEntries(docs), (k, v: unknown) => (k === 'position' ? undefined : v)));

describe('a device swapped back, the projector dying between a flush’s store days and its terminal', () => {
  it.each([
    ['its old close heard of after its next close', heardAfterNextClose],
    ['its sale heard of after its old close ended, another pending', heardAfterOldClose],
  ])('%s: the documents of one fold, in flushes of 1 to 3 events, dying in any', async (_, build) => {
    const log = build();
    const whole = noPositions(await kvAfter(log));
    const differing: string[] = [];
    for (let size = 1; size <= 3; size++)
      for (let crashAt = 0; crashAt < Math.ceil(log.length / size); crashAt++) {
        const after = await kvAfterCrash(log, size, crashAt);
        const docs = noPositions([...after].map(([key, change]) => [key, change.doc]));
        if (!isDeepStrictEqual(docs, whole)) differing.push(`flushes of ${size}, dying in ${crashAt}`);
      }
    expect(differing).toEqual([]);
  });
});
