import type { StoreDayDoc } from '../src/read-models/read-model.types';
import { closeLog, totals } from './support/close-log';
import { kvAfter } from './support/kv-fold';
import { lostAfterTakingBack } from './support/swap-back-logs';

/**
 * The old device's close pends while the terminal's name goes to another device and then back to the old one (D-A,
 * D-B, D-A again). The swap still waits for that close, and names D-A as its old device: read by the device alone, a
 * sale D-A makes after it came back was the old device's, and went with the batch swapped out at the first swap, where
 * it is the batch that opened when D-A took the name back (its next close's).
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
const iso = (time: string) => new Date(at(time)).toISOString();

describe('a device swapped back while its own close pends', () => {
  it('counts its sale after it came back in its next close, not in the batch swapped out at the first swap', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    sale('a-1', at('16:30:00'), 'D-A');
    requested('a-close-1', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    sale('a-2', at('17:15:00'), 'D-A');
    completed('a-close-1', at('16:59:55'), totals(1));
    requested('a-close-2', at('17:30:00'));
    completed('a-close-2', at('17:30:05'), totals(1));
    const { terminal, close } = log.foldedDay();
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(terminal.swappedOut?.[iso('17:00:00')]).toMatchObject({ device: 'D-A', ...totals(0) });
    expect(terminal.swappedOut?.[iso('17:10:00')]).toMatchObject({ device: 'D-B', ...totals(1) });
  });

  it('still counts its sale from before the first swap, heard of after it came back, in the close pending', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('a-close-1', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('16:59:52'), 'D-A');
    completed('a-close-1', at('16:59:55'), totals(1));
    requested('a-close-2', at('17:30:00'));
    completed('a-close-2', at('17:30:05'), totals(0));
    const { close } = log.foldedDay();
    expect(close('a-close-1')).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ recorded: totals(0), mismatch: false });
  });
});

/**
 * The same swap back, the old close dated by Dintero after the first swap's instant: its clock a few seconds ahead of
 * the engine's (the close and D-A's last sale before the swap dated 17:00:03 and 17:00:01), or the close run late, after
 * D-A came back (17:12:00, a sale D-A made since in its batch). Each of D-A's sales dated before its close is in that
 * close's batch: by their time against the first swap's (D-A having the name again), they were the batch's after it,
 * and the old close showed them missing, the next close extra.
 */
describe('a device swapped back, its own close dated after the first swap', () => {
  it.each([
    ['a few seconds after it (its clock ahead)', '17:00:01', '17:00:03'],
    ['after the device came back', '17:11:00', '17:12:00'],
  ])('%s, counts the device’s sale dated before the close in that close', (_, saleAt, closedAt) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('a-close-1', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at(saleAt), 'D-A');
    sale('a-2', at('17:15:00'), 'D-A');
    completed('a-close-1', at(closedAt), totals(1));
    requested('a-close-2', at('17:30:00'));
    completed('a-close-2', at('17:30:05'), totals(1));
    const { terminal, close } = log.foldedDay();
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(terminal.swappedOut?.[iso('17:10:00')]).toMatchObject({ device: 'D-B', ...totals(1) });
  });
});

/**
 * The same swap back, the old close run late (dated 17:12, after D-A came back at 17:10) and its outcome heard of after
 * D-A's next close ended: that next close took D-A's sale at 17:11 as its own (after the first swap, D-A having the name
 * again). D-A's batch held it until its first close, dated after it: the first close takes it back from the next, as a
 * close heard of after a later one of the same device does (`closeBeforeEnded`), with what it still kept from before the
 * swap. Left with the next close, both showed a difference that was not there.
 */
function heardAfterNextClose(before: boolean, purchases: number) {
  const log = closeLog(DAY);
  const { requested, completed, sale, enrolled } = log;
  enrolled('D-A', at('00:00:00'));
  requested('a-close-1', at('16:59:50'));
  enrolled('D-B', at('17:00:00'));
  sale('b-1', at('17:05:00'), 'D-B');
  enrolled('D-A', at('17:10:00'));
  if (before) sale('a-0', at('16:59:52'), 'D-A');
  sale('a-1', at('17:11:00'), 'D-A');
  requested('a-close-2', at('17:30:00'));
  completed('a-close-2', at('17:30:05'), totals(0));
  completed('a-close-1', at('17:12:00'), totals(purchases));
  return log;
}

describe('a device swapped back, its own close dated after it came back and heard of after its next close', () => {
  const cases = [
    ['its sale after it came back alone', false, 1],
    ['with its sale from before the first swap still kept', true, 2],
  ] as const;

  it.each(cases)('%s, takes the sale dated before it back from the next close', (_, before, purchases) => {
    const { terminal, close } = heardAfterNextClose(before, purchases).foldedDay();
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(purchases), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
    expect(terminal.swappedOut?.[iso('17:10:00')]).toMatchObject({ device: 'D-B', ...totals(1) });
  });

  it.each(cases)(
    '%s, started again from KV after any event: the same closes on the day',
    async (_, before, purchases) => {
      const { log } = heardAfterNextClose(before, purchases);
      for (let cut = 1; cut < log.length; cut++) {
        const day = (await kvAfter(log, cut)).get(`store-day:oslo.${DAY}`) as StoreDayDoc | undefined;
        const closes = day?.closes;
        expect([cut, closes?.['a-close-1']?.recorded, closes?.['a-close-1']?.mismatch]).toEqual([
          cut,
          totals(purchases),
          false,
        ]);
        expect([cut, closes?.['a-close-2']?.recorded, closes?.['a-close-2']?.mismatch]).toEqual([
          cut,
          totals(0),
          false,
        ]);
      }
    },
  );
});

/**
 * The same, with a thousand sales after D-A's next close while the old close still pends: past the bound of what the
 * batch keeps, that next close's facts were summed with their span of times (`pastBound`), D-A's sale at 17:11 among
 * them. Which of them were D-A's up to the old close is not known: neither close can tell its share. Taken as known,
 * each showed a difference that was not there (0 purchases against 1, 1 against 0).
 */
describe('a device swapped back, its next close let go of past the bound before the old close is heard of', () => {
  function pastTheBound() {
    const log = closeLog(DAY);
    const { requested, completed, sale, sales, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('a-close-1', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:11:00'), 'D-A');
    requested('a-close-2', at('17:30:00'));
    completed('a-close-2', at('17:30:05'), totals(0));
    sales('n', at('18:00:00'), 1_000);
    completed('a-close-1', at('17:12:00'), totals(1));
    return log;
  }

  it('says both closes with their log side unknown', () => {
    const { close } = pastTheBound().foldedDay();
    expect([close('a-close-1')?.recordedUnknown, close('a-close-2')?.recordedUnknown]).toEqual([true, true]);
  });

  it('started again from KV at the old close: the same', async () => {
    const { log } = pastTheBound();
    const cut = log.length - 1;
    const day = (await kvAfter(log, cut)).get(`store-day:oslo.${DAY}`) as StoreDayDoc | undefined;
    const closes = day?.closes;
    expect([closes?.['a-close-1']?.recordedUnknown, closes?.['a-close-2']?.recordedUnknown]).toEqual([true, true]);
  });
});

/**
 * Two closes of D-A pend at the first swap (`a-close-1`, `a-close-0`), and D-A comes back. Its next close (`a-close-2`,
 * 17:15) ends first, taking D-A's sale at 17:11 (after the first swap, D-A having the name again); then `a-close-0`,
 * run last (17:20); then `a-close-1`, dated 17:12, heard of after both. `a-close-1` takes back what the later close of
 * its own side took up to its time (`closeBeforeEnded`), and so too what D-A's next close took of D-A's batch: the
 * sale at 17:11 was in D-A's batch until `a-close-1`. Left with the next close, both showed a difference that was not
 * there (1 purchase against 2, 2 against 1).
 */
describe('a device swapped back, its two closes pending at the swap heard of after its next close', () => {
  function twoPending() {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    sale('a-0', at('16:30:00'), 'D-A');
    requested('a-close-1', at('16:59:40'));
    requested('a-close-0', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:11:00'), 'D-A');
    requested('a-close-2', at('17:13:00'));
    sale('a-2', at('17:14:00'), 'D-A');
    completed('a-close-2', at('17:15:00'), totals(1));
    completed('a-close-0', at('17:20:00'), totals(0));
    completed('a-close-1', at('17:12:00'), totals(2));
    return log;
  }

  it('the first takes back the sale of its batch from the next close, as from the later of its own side', () => {
    const { close } = twoPending().foldedDay();
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(2), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(close('a-close-0')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
  });

  it('started again from KV after any event: the same closes on the day', async () => {
    const { log } = twoPending();
    for (let cut = 1; cut < log.length; cut++) {
      const closes = ((await kvAfter(log, cut)).get(`store-day:oslo.${DAY}`) as StoreDayDoc | undefined)?.closes;
      const figures = ['a-close-1', 'a-close-2', 'a-close-0'].map((id) => closes?.[id]?.recorded.purchasesCount);
      expect([cut, ...figures]).toEqual([cut, 2, 1, 0]);
    }
  });
});

/**
 * The same swap back, with a thousand sales after D-A came back while its old close still pends (dated 17:12, heard of
 * last): past the bound of what the batch keeps, they are summed for the side that has the name (`keptApart`), D-A's
 * sale at 17:11 among them. Kept with its time it is the old close's (its device's, before it closed); summed, which of
 * them were D-A's up to the old close is not known, nor what D-A's next close holds of them. Taken as known, the old
 * close showed its sale missing (0 purchases against 1) and the next close one extra (1,001 against 1,000).
 */
describe('a device swapped back, its sales past the bound before its old close is heard of', () => {
  function pastTheBound() {
    const log = closeLog(DAY);
    const { requested, completed, sale, sales, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('a-close-1', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:11:00'), 'D-A');
    sales('n', at('18:00:00'), 1_000);
    completed('a-close-1', at('17:12:00'), totals(1));
    requested('a-close-2', at('20:00:00'));
    completed('a-close-2', at('20:00:05'), totals(1_000));
    return log;
  }

  it('says the old close and the device’s next close with their log side unknown', () => {
    const { close } = pastTheBound().foldedDay();
    expect([close('a-close-1')?.recordedUnknown, close('a-close-2')?.recordedUnknown]).toEqual([true, true]);
  });

  it('started again from KV at the old close: the same', async () => {
    const { log } = pastTheBound();
    const closes = ((await kvAfter(log, log.length - 3)).get(`store-day:oslo.${DAY}`) as StoreDayDoc | undefined)
      ?.closes;
    expect([closes?.['a-close-1']?.recordedUnknown, closes?.['a-close-2']?.recordedUnknown]).toEqual([true, true]);
  });
});

/**
 * The same swap back, D-A closing twice after it came back (17:20:05, taking its sale at 17:11 as its own, and
 * 17:40:05) and a thousand sales after, before its old close (dated 17:12) is heard of: past the bound, the terminal
 * keeps the latest of those closes alone (`keptApart`), the first on its store day alone. Which of D-A's sales that one
 * took were the old close's is not known: both say their log side unknown. Taken as known, each showed a difference
 * that was not there (0 purchases against 1, 1 against 0); the latest close took none of them.
 */
describe('a device swapped back, its first close since let go of past the bound before the old close', () => {
  function firstLetGo() {
    const log = closeLog(DAY);
    const { requested, completed, sale, sales, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('a-close-1', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:11:00'), 'D-A');
    requested('a-close-2', at('17:20:00'));
    completed('a-close-2', at('17:20:05'), totals(0));
    requested('a-close-3', at('17:40:00'));
    completed('a-close-3', at('17:40:05'), totals(0));
    sales('n', at('18:00:00'), 1_000);
    completed('a-close-1', at('17:12:00'), totals(1));
    return log;
  }
  const said = (closes: StoreDayDoc['closes']) =>
    ['a-close-1', 'a-close-2', 'a-close-3'].map((id) => [closes?.[id]?.recordedUnknown, closes?.[id]?.mismatch]);

  it('says it and the old close with their log side unknown', () => {
    const { day } = firstLetGo().foldedDay();
    expect(said(day.closes)).toEqual([
      [true, true],
      [true, true],
      [undefined, false],
    ]);
  });

  it('started again from KV at the old close: the same', async () => {
    const { log } = firstLetGo();
    const day = (await kvAfter(log, log.length - 1)).get(`store-day:oslo.${DAY}`) as StoreDayDoc | undefined;
    expect(said(day?.closes)).toEqual([
      [true, true],
      [true, true],
      [undefined, false],
    ]);
  });
});

/**
 * The same swap back, then D-B takes the name again (D-A, D-B, D-A, D-B) before the old close (dated 17:12, run late)
 * is heard of: the batch D-A opened when it came back is swapped out with it (`swappedAgain`), D-A's sale at 17:11
 * with it, though that sale was in D-A's batch until the old close. Which of that batch's sales were dated by the old
 * close is not kept (its times are let go of with it): the old close says its log side unknown. Taken as known, it
 * showed its sale missing (0 purchases against 1), whether or not the batch had gone past the bound.
 */
describe('a device swapped back and out again before its old close is heard of', () => {
  function outAgain(pastTheBound: boolean) {
    const log = closeLog(DAY);
    const { requested, completed, sale, sales, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('a-close-1', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:11:00'), 'D-A');
    if (pastTheBound) sales('n', at('18:00:00'), 1_000);
    enrolled('D-B', at('20:20:00'));
    completed('a-close-1', at('17:12:00'), totals(1));
    return log;
  }

  it.each([
    ['under the bound', false],
    ['past the bound', true],
  ])('%s, says the old close with its log side unknown', async (_, pastTheBound) => {
    const log = outAgain(pastTheBound);
    const { close } = log.foldedDay();
    const resumed = (await kvAfter(log.log, log.log.length - 2)).get(`store-day:oslo.${DAY}`) as StoreDayDoc;
    expect([close('a-close-1'), resumed.closes?.['a-close-1']].map((each) => each?.recordedUnknown)).toEqual([
      true,
      true,
    ]);
  });
});

/**
 * The same swap back, two closes of D-A pending at the swap: the later (`old-2`, 17:20) ends, and a thousand sales after
 * let its entry go (past the bound), the terminal's last close. D-A's sale at 17:11 is heard of late, while D-A's next
 * close (`next-1`) pends, which takes it. Then the earlier (`old-1`, 17:12) is heard of: it takes that sale back from
 * `next-1` (`takenBackAtSwapBack`), and finds its batch taken by `old-2` (`lostBatch`), with nothing of its own. The
 * sale taken back is none of the batch held now: left in it, D-A's close after (`next-2`) counted it, a known
 * difference that was not there (1 purchase against 0).
 */
describe('a device swapped back, its old close taking back a sale and finding its batch lost', () => {
  const said = (closes: StoreDayDoc['closes']) =>
    ['old-1', 'next-1', 'next-2'].map((id) => [closes?.[id]?.recorded.purchasesCount, closes?.[id]?.recordedUnknown]);

  it('leaves it out of the batch held now: the closes after it hold none of it', async () => {
    const log = lostAfterTakingBack(DAY, 'next-2');
    const resumed = (await kvAfter(log.log, log.log.length - 3)).get(`store-day:oslo.${DAY}`) as StoreDayDoc;
    for (const closes of [log.foldedDay().day.closes, resumed.closes])
      expect(said(closes)).toEqual([
        [0, true],
        [1_000, undefined],
        [0, undefined],
      ]);
  });
});

/**
 * The same swap back, D-A's next close (`next-0`, 17:20:42) ended while the old close still pends, then D-B takes the
 * name again (D-A, D-B, D-A, D-B), and D-A's sale dated 17:16:55 is heard of late: it is `next-0`'s, in the list as the
 * new device's and sent to D-A. By its device alone (D-A, the swap's old device, not the one with the name) it was
 * the old close's; after that close, it went with the batch swapped out at the first swap, and `next-0` showed it
 * missing (1 purchase against 2).
 */
describe('a device swapped back and out again, its sale before its next close heard of late', () => {
  function lateSale() {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    sale('a-0', at('16:30:00'), 'D-A');
    requested('old', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:19:37'), 'D-A');
    requested('next-0', at('17:20:00'));
    completed('next-0', at('17:20:42'), totals(2));
    enrolled('D-B', at('17:22:28'));
    sale('late', at('17:16:55'), 'D-A');
    completed('old', at('16:59:58'), totals(1));
    return log;
  }

  it('counts it in the device’s next close', async () => {
    const log = lateSale();
    const resumed = (await kvAfter(log.log, log.log.length - 2)).get(`store-day:oslo.${DAY}`) as StoreDayDoc;
    for (const next of [log.foldedDay().close('next-0'), resumed.closes?.['next-0']])
      expect(next).toMatchObject({ recorded: totals(2), mismatch: false });
  });
});

/**
 * The same let-go close, with a second close of D-A pending at the swap (`a-close-0`, dated 17:30) that ends after the
 * thousand sales: `a-close-1` (17:12) is heard of after it, and takes back from it first (`closeBeforeEnded`), then
 * from D-A's closes since it came back. `a-close-2`, let go of past the bound, took D-A's sale at 17:11: it and
 * `a-close-1` say their log side unknown; `a-close-0` and `a-close-3` held none of it, and agree.
 */
describe('a device swapped back, its first close since let go of, the old close heard of after a later one', () => {
  function laterOldFirst() {
    const log = closeLog(DAY);
    const { requested, completed, sale, sales, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('a-close-1', at('16:59:40'));
    requested('a-close-0', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:11:00'), 'D-A');
    requested('a-close-2', at('17:20:00'));
    completed('a-close-2', at('17:20:05'), totals(0));
    requested('a-close-3', at('17:40:00'));
    completed('a-close-3', at('17:40:05'), totals(0));
    sales('n', at('18:00:00'), 1_000);
    completed('a-close-0', at('17:30:00'), totals(0));
    completed('a-close-1', at('17:12:00'), totals(1));
    return log;
  }
  const said = (closes: StoreDayDoc['closes']) =>
    ['a-close-1', 'a-close-2', 'a-close-0', 'a-close-3'].map((id) => [
      closes?.[id]?.recordedUnknown,
      closes?.[id]?.mismatch,
    ]);

  it('says it and the old close with their log side unknown, one fold and started again from KV', async () => {
    const log = laterOldFirst();
    const resumed = (await kvAfter(log.log, log.log.length - 1)).get(`store-day:oslo.${DAY}`) as StoreDayDoc;
    for (const closes of [log.foldedDay().day.closes, resumed.closes])
      expect(said(closes)).toEqual([
        [true, true],
        [true, true],
        [undefined, false],
        [undefined, false],
      ]);
  });
});

/**
 * The same swap back and out again (D-A, D-B, D-A, D-B), D-A's next close (`next-0`) ended, the old close dated before
 * the first swap: `next-0` opened when D-A came back (17:10), no close let go of between. Told from a close let go of by
 * the latest swap's instant alone (17:22:28, D-B's), it was taken for one (`takenBackFrom`), and the old close said its
 * log side unknown where it agrees.
 */
describe('a device swapped back and out again, its old close dated before the first swap', () => {
  it('compares the old close with its batch, and the next close with its own', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    sale('a-0', at('16:30:00'), 'D-A');
    requested('old', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:19:37'), 'D-A');
    requested('next-0', at('17:20:00'));
    completed('next-0', at('17:20:42'), totals(1));
    enrolled('D-B', at('17:22:28'));
    completed('old', at('16:59:58'), totals(1));
    const { close } = log.foldedDay();
    expect([close('old'), close('next-0')]).toMatchObject([
      { recorded: totals(1), mismatch: false },
      { recorded: totals(1), mismatch: false },
    ]);
    expect(close('old')?.recordedUnknown).toBeUndefined();
  });
});
