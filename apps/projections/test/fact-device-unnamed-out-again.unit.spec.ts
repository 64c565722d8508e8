import type { StoreDayDoc } from '../src/read-models/read-model.types';
import { closeLog, totals } from './support/close-log';
import { kvAfter } from './support/kv-fold';

/**
 * D-A's close pends while the name goes to D-B and back to D-A (A, B, A), and D-A is swapped out again (A, B, A, B)
 * before that close is heard of. A sale naming no device made after D-A came back is told by its time: D-A's since it
 * came back, its next close's or the batch swapped out with it the second time, never the old close's nor the batch
 * swapped out at the first swap.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
const iso = (time: string) => new Date(at(time)).toISOString();

function outAgain(nextClose: boolean) {
  const log = closeLog(DAY);
  const { requested, completed, sale, enrolled } = log;
  enrolled('D-A', at('00:00:00'));
  sale('a-0', at('16:30:00'), 'D-A');
  requested('old', at('16:59:50'));
  enrolled('D-B', at('17:00:00'));
  sale('b-1', at('17:05:00'), 'D-B');
  enrolled('D-A', at('17:10:00'));
  sale('unnamed', at('17:19:37'));
  if (nextClose) {
    requested('next-0', at('17:20:00'));
    completed('next-0', at('17:20:42'), totals(1));
  }
  enrolled('D-B', at('17:22:28'));
  completed('old', at('16:59:58'), totals(1));
  return log;
}

describe('a sale naming no device, made after the old device came back, that device swapped out again', () => {
  it.each([
    ['its next close ended first', true],
    ['no close of it since', false],
  ])('%s: the old close compares only its own batch, one fold and started again from KV', async (_, nextClose) => {
    const log = outAgain(nextClose);
    const { terminal, close } = log.foldedDay();
    const old = close('old');
    expect(old?.recordedUnknown ? 'unknown' : old?.recorded).toEqual(old?.recordedUnknown ? 'unknown' : totals(1));
    if (nextClose) expect(close('next-0')).toMatchObject({ recorded: totals(1), mismatch: false });
    else expect(terminal.swappedOut?.[iso('17:22:28')]).toMatchObject({ device: 'D-A', ...totals(1) });
    expect(terminal.swappedOut?.[iso('17:00:00')]).not.toMatchObject(totals(2));
    for (let cut = 1; cut < log.log.length; cut++) {
      const day = (await kvAfter(log.log, cut)).get(`store-day:oslo.${DAY}`) as StoreDayDoc;
      expect([cut, day.closes?.['old']?.recordedUnknown ? 'unknown' : day.closes?.['old']?.recorded]).toEqual([
        cut,
        old?.recordedUnknown ? 'unknown' : old?.recorded,
      ]);
      if (nextClose) expect([cut, day.closes?.['next-0']?.recorded]).toEqual([cut, totals(1)]);
    }
  });
});

/**
 * The same, the old close dated after D-A came back (17:12, its batch holding D-A's sale at 17:11 naming no device):
 * the old close counts that sale or says its log side unknown, never a known figure without it.
 */
describe('a sale naming no device before the old close, made after the old device came back, then swapped out again', () => {
  it('the old close counts it or says its log side unknown, one fold and started again from KV', async () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('old', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    enrolled('D-A', at('17:10:00'));
    sale('unnamed', at('17:11:00'));
    enrolled('D-B', at('20:20:00'));
    completed('old', at('17:12:00'), totals(1));
    const { close } = log.foldedDay();
    const seen = (doc?: { recordedUnknown?: boolean; recorded?: unknown }) =>
      doc?.recordedUnknown ? 'unknown' : doc?.recorded;
    expect([totals(1), 'unknown']).toContainEqual(seen(close('old')));
    for (let cut = 1; cut < log.log.length; cut++) {
      const day = (await kvAfter(log.log, cut)).get(`store-day:oslo.${DAY}`) as StoreDayDoc;
      expect([cut, seen(day.closes?.['old'])]).toEqual([cut, seen(close('old'))]);
    }
  });
});
