import type { StoreDayDoc, TerminalDoc } from '../src/read-models/read-model.types';
import { totals } from './support/close-log';
import { kvAfter } from './support/kv-fold';
import { lostAfterTakingBack } from './support/swap-back-logs';

/**
 * D-A's old close takes back a sale from D-A's next close, swapped back since (`takenBackAtSwapBack`), and finds its
 * batch lost (`lostBatch`, taken by a later close of its own let go of past the bound), D-A then swapped out again
 * (A, B, A, B) before or after the old close is heard of: the sale taken back is in no batch held now, neither the
 * batch swapped out the second time nor the other device's, and no close after counts it.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
const iso = (time: string) => new Date(at(time)).toISOString();

describe('a device swapped back, its old close taking back a sale and finding its batch lost, swapped out again', () => {
  const said = (closes: StoreDayDoc['closes']) =>
    ['old-1', 'next-1', 'b-next'].map((id) => [closes?.[id]?.recorded.purchasesCount, closes?.[id]?.recordedUnknown]);

  it.each(['before', 'after'] as const)(
    'swapped out again %s the old close is heard of: one fold and started again from KV',
    async (outAgain) => {
      const made = lostAfterTakingBack(DAY, 'b-next', outAgain);
      const folded = made.foldedDay();
      const expected = [
        [0, true],
        [1_000, undefined],
        [0, undefined],
      ];
      expect(said(folded.day.closes)).toEqual(expected);
      expect(folded.terminal.swappedOut?.[iso('20:30:00')]).toMatchObject({ device: 'D-A', ...totals(0) });
      for (let cut = made.log.length - 6; cut < made.log.length; cut++) {
        const kv = await kvAfter(made.log, cut);
        const day = kv.get(`store-day:oslo.${DAY}`) as StoreDayDoc;
        expect([cut, said(day.closes)]).toEqual([cut, expected]);
        const terminal = [...kv.entries()].find(([key]) => key.startsWith('terminal'))?.[1] as TerminalDoc | undefined;
        expect([cut, terminal?.swappedOut?.[iso('20:30:00')]?.purchasesCount]).toEqual([cut, 0]);
      }
    },
  );
});
