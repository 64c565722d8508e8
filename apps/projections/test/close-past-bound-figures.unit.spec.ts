import { closeLog, totals } from './support/close-log';
import { kvFold } from './support/kv-fold';

/**
 * End-of-day closes whose outcomes come after the terminal counted more than the batch keeps with their times while
 * closes pend (1,000), or after more closes than it keeps pending (50). Past either bound the log's side of a close
 * with totals was compared with what the batch held then, sales made after the terminal closed among it, and the close
 * showed finance a difference that was not there. The log's figures of a close are now exact, or said unknown
 * (`recordedUnknown`: a mismatch with no difference), never made up.
 */
const DAY = '2026-11-24';
const NEXT = '2026-11-25';
const AFTER = '2026-11-26';
const iso = (ms: number) => new Date(ms).toISOString();
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
/** One more sale than the batch keeps with their times while closes pend. */
const SALES = 1_001;

function aLog() {
  // Every outcome reaches the log at 23:59, long after the terminal closed (`dinteroAt`).
  const built = closeLog(DAY, () => at('23:59'));
  const { requested, completed, sale } = built;
  // The set-ups several scenarios start from, each of its bounds.
  /** A sale, then 51 closes asked for a second apart from 17:00: one more than the batch keeps pending (close-0 let go of). */
  const fiftyOnePending = () => {
    sale('before', at('10:00'));
    for (let i = 0; i <= 50; i++) requested(`close-${i}`, at('17:00') + i * 1_000);
  };
  /** A sale, then the nightly close at 17:00 and one by hand at 17:01, both pending. */
  const twoPending = () => {
    sale('before', at('10:00'));
    requested('nightly', at('17:00'));
    requested('by-hand', at('17:01'));
  };
  /** SALES sales a second apart from 17:02 (the last at 17:18:40): past the bound while a close pends. */
  const salesPastTheBound = () => {
    for (let i = 0; i < SALES; i++) sale(`p-${i}`, at('17:02') + i * 1_000);
  };
  /** 210 closes by hand from 01:00, a minute apart, each after a sale and ended, with the totals `totalsOf` gives. */
  const handClosesEnding = (totalsOf: (i: number) => Record<string, unknown>) => {
    for (let i = 0; i < 210; i++) {
      const t = at('01:00') + i * 60_000;
      sale(`p-${i}`, t);
      requested(`hand-${i}`, t + 10_000);
      completed(`hand-${i}`, t + 20_000, totalsOf(i));
    }
  };
  return {
    ...built,
    fiftyOnePending,
    twoPending,
    salesPastTheBound,
    handClosesEnding,
  };
}

describe('a close with totals whose outcome comes after more sales than are kept while closes pend', () => {
  it('is compared with its own batch when every sale past the bound came after the terminal closed', () => {
    const { completed, fold, twoPending, salesPastTheBound } = aLog();
    twoPending();
    // After both closes closed the terminal's batch (17:00:30 and 17:01:30 by the terminal), before their outcomes came.
    salesPastTheBound();
    completed('nightly', at('17:00') + 30_000, totals(1));
    completed('by-hand', at('17:01') + 30_000);
    const projector = fold();
    const day = projector.storeDay('oslo', DAY)!;
    expect(day.closes?.['nightly']).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(day.closes?.['nightly']).not.toHaveProperty('differences');
    expect(day.closes?.['by-hand']).toMatchObject({ withoutTotals: true, recorded: totals(0), mismatch: false });
    expect(day.closeMismatches).toBe(0);
    // Every sale after the closes is the next batch's, the one after the bound and those before it.
    const open = projector.terminal('oslo', 'T-1')!.openBatch;
    expect(open).toMatchObject({ ...totals(SALES), since: iso(at('17:01') + 30_000) });
    expect(open).not.toHaveProperty('closing');
    expect(open).not.toHaveProperty('countedWhileClosing');
  });

  it('says its log side unknown, with no difference, when the terminal closed among sales past the bound', () => {
    const { requested, completed, sale, fold, salesPastTheBound } = aLog();
    sale('before', at('10:00'));
    requested('nightly', at('17:00'));
    salesPastTheBound();
    // The terminal closed at 17:10: 481 of the sales are its batch's, 520 the next's, and the log cannot tell which.
    completed('nightly', at('17:10'), totals(482));
    requested('next', at('18:00'));
    completed('next', at('18:00') + 30_000, totals(520));
    sale('later', at('19:00'));
    requested('third', at('20:00'));
    completed('third', at('20:00') + 30_000, totals(1));
    const day = fold().storeDay('oslo', DAY)!;
    for (const id of ['nightly', 'next']) {
      expect(day.closes?.[id]).not.toHaveProperty('differences');
      expect(day.closes?.[id]).toMatchObject({ recordedUnknown: true, mismatch: true });
    }
    // The close after them took none of those sales: compared again.
    expect(day.closes?.['third']).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(day.closes?.['third']).not.toHaveProperty('recordedUnknown');
  });
});

describe('two closes with totals pending past the bound, their outcomes in the other order', () => {
  it('gives the sales past the bound to the close the terminal made first, when it closed after them all', () => {
    const { completed, fold, twoPending, salesPastTheBound } = aLog();
    twoPending();
    salesPastTheBound();
    // The terminal closed at 17:30, then at 17:31 with nothing; the second outcome reaches the log first.
    completed('by-hand', at('17:31'), totals(0));
    completed('nightly', at('17:30'), totals(SALES + 1));
    const day = fold().storeDay('oslo', DAY)!;
    expect(day.closes?.['nightly']).toMatchObject({ recorded: totals(SALES + 1), mismatch: false });
    expect(day.closes?.['by-hand']).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(day.closeMismatches).toBe(0);
  });
});

describe('a close with totals let go of beyond the 50 kept pending, whose outcome comes after all', () => {
  it('shows no difference made of sales after it closed', () => {
    const { completed, sale, fold, fiftyOnePending } = aLog();
    fiftyOnePending();
    // After close-0 closed the terminal's batch (17:00:30 by the terminal), before its outcome came.
    sale('after', at('18:00'));
    completed('close-0', at('17:00') + 30_000, totals(1));
    const close = fold().storeDay('oslo', DAY)!.closes?.['close-0'];
    // Which sales since it are its own is not known (its facts' times kept only while it pended): said so.
    expect(close).not.toHaveProperty('differences');
    expect(close).toMatchObject({ recordedUnknown: true, mismatch: true });
  });
});

describe('a close without totals let go of beyond the 50 kept pending, whose outcome comes after all', () => {
  it('closes the batch on its store day, and the next close shows no difference made of its sales', () => {
    const { requested, completed, sale, fold, fiftyOnePending } = aLog();
    fiftyOnePending();
    sale('after', at('18:00'));
    // close-0 closed the terminal's batch at 17:00:30 (Dintero gave no totals); the next close's holds one sale.
    completed('close-0', at('17:00') + 30_000);
    requested('next', at('19:00'));
    completed('next', at('19:00') + 30_000, totals(1));
    const day = fold().storeDay('oslo', DAY)!;
    expect(day.closes?.['next']).not.toHaveProperty('differences');
    expect(day.closes?.['close-0']).toMatchObject({ withoutTotals: true, recordedUnknown: true, mismatch: true });
  });
});

describe('a close pending while the closes that ended meanwhile were let go of past the bound', () => {
  it('says its log side unknown where those closes took its batch, with no difference', () => {
    const { requested, completed, sale, fold, handClosesEnding } = aLog();
    sale('before', at('00:10'));
    requested('stuck', at('00:20'));
    // 210 closes by hand end while it pends, a sale before each: their records fill the bound, which lets go of them.
    // hand-0 counted two sales: its own and the stuck close's.
    handClosesEnding((i) => totals(i === 0 ? 2 : 1));
    // The terminal had closed at 00:30, before any of them: its batch is the first sale, which hand-0 took.
    completed('stuck', at('00:30'), totals(1));
    const close = fold().storeDay('oslo', DAY)!.closes?.['stuck'];
    expect(close).not.toHaveProperty('differences');
    expect(close).toMatchObject({ recordedUnknown: true, mismatch: true });
  });
});

describe('a close ended meanwhile past the bound that counts a sale heard of late', () => {
  it('still tells the close pending before it that the sales past the bound are among its cut: both unknown', () => {
    const { completed, sale, fold, twoPending, salesPastTheBound } = aLog();
    twoPending();
    salesPastTheBound();
    // The terminal closed at 17:10 (among the sales past the bound), then at 17:30; the second outcome came first.
    completed('by-hand', at('17:30'), totals(521));
    // A sale at 17:20, heard of after by-hand's outcome: by-hand's, counted in its entry while nightly pends.
    sale('late', at('17:20'));
    completed('nightly', at('17:10'), totals(482));
    const day = fold().storeDay('oslo', DAY)!;
    for (const id of ['nightly', 'by-hand']) {
      expect(day.closes?.[id]).not.toHaveProperty('differences');
      expect(day.closes?.[id]).toMatchObject({ recordedUnknown: true, mismatch: true });
    }
  });
});

describe('a close with totals let go of beyond the 50 kept pending that closed among the sales past the bound', () => {
  it('leaves the closes after it unknown while they closed before the latest of those sales, not the next alone', () => {
    const { completed, fold, fiftyOnePending, salesPastTheBound } = aLog();
    fiftyOnePending();
    salesPastTheBound();
    // close-0 (let go of) closed at 17:10, close-1 at 17:15, close-2 at 17:20, after every sale (the last at 17:18:40).
    completed('close-0', at('17:10'), totals(482));
    completed('close-1', at('17:15'), totals(300));
    completed('close-2', at('17:20'), totals(220));
    const day = fold().storeDay('oslo', DAY)!;
    // close-0 took the sales past the bound after 17:15 too: close-2's batch misses them.
    for (const id of ['close-0', 'close-1', 'close-2']) {
      expect([id, day.closes?.[id]]).not.toHaveProperty('1.differences');
      expect(day.closes?.[id]).toMatchObject({ recordedUnknown: true, mismatch: true });
    }
  });
});

describe('a close with totals let go of beyond the 50 kept pending, its outcome after that of the close after it', () => {
  it('says the close that took its batch unknown too, where it showed a difference made of its sales', () => {
    const { completed, sale, fold, fiftyOnePending } = aLog();
    fiftyOnePending();
    // close-0 closed at 17:00:30, before a sale at 17:00:45; close-50 at 17:01:30, and its outcome came first.
    sale('after', at('17:00') + 45_000);
    completed('close-50', at('17:01') + 30_000, totals(1));
    completed('close-0', at('17:00') + 30_000, totals(1));
    const day = fold().storeDay('oslo', DAY)!;
    for (const id of ['close-0', 'close-50']) {
      expect([id, day.closes?.[id]]).not.toHaveProperty('1.differences');
      expect(day.closes?.[id]).toMatchObject({ recordedUnknown: true, mismatch: true });
    }
  });
});

describe('a close pending while the closes that ended meanwhile were let go of past the bound (the one that took its batch)', () => {
  it('says that close unknown on its store day too, where it showed a difference made of the pending close’s sale', () => {
    const { requested, completed, sale, fold, handClosesEnding } = aLog();
    // The close the night before: hand-0's batch opened then (the window that tells which close held 00:30).
    requested('night-before', at('00:01'));
    completed('night-before', at('00:05'), totals(0));
    sale('before', at('00:10'));
    requested('stuck', at('00:20'));
    handClosesEnding(() => totals(1));
    // The terminal had closed at 00:30: its batch is the first sale, which hand-0 took with its own.
    completed('stuck', at('00:30'), totals(1));
    const day = fold().storeDay('oslo', DAY)!;
    for (const id of ['stuck', 'hand-0']) {
      expect([id, day.closes?.[id]]).not.toHaveProperty('1.differences');
      expect(day.closes?.[id]).toMatchObject({ recordedUnknown: true, mismatch: true });
    }
    // The closes after it took none of the stuck close's: compared as ever.
    expect(day.closes?.['hand-1']).toMatchObject({ recorded: totals(1), mismatch: false });
  });
});

describe('a close whose batch a close let go of past the bound took, its outcome weeks later', () => {
  it('says the close that took it unknown on that close’s store day, read back from KV out of memory', async () => {
    const { log, requested, completed, sale } = aLog();
    const DAY_MS = 86_400_000;
    requested('night-before', at('00:01'));
    completed('night-before', at('00:05'), totals(0));
    sale('before', at('00:10'));
    requested('stuck', at('00:20'));
    // 210 closes by hand, each after a sale and ended: past the bound, hand-0 (the next day) took the stuck close's
    // batch with its own; the others, the day after, are on a store day of their own.
    for (let i = 0; i < 210; i++) {
      const t = at('01:00') + (i === 0 ? DAY_MS : 2 * DAY_MS) + i * 60_000;
      const businessDay = i === 0 ? NEXT : AFTER;
      sale(`p-${i}`, t);
      requested(`hand-${i}`, t + 10_000, businessDay);
      completed(`hand-${i}`, t + 20_000, totals(1), businessDay);
    }
    // A sale a day for six weeks, and a close by hand on the last of them (the terminal's last close): the days of
    // the closes leave the projector's memory (KV holds them).
    for (let day = 2; day <= 42; day++) sale(`later-${day}`, at('12:00') + day * DAY_MS);
    const last = new Date(at('13:00') + 42 * DAY_MS).toISOString().slice(0, 10);
    requested('last', at('13:00') + 42 * DAY_MS, last);
    completed('last', at('13:00') + 42 * DAY_MS + 10_000, totals(1), last);
    const history = [...log];
    // The terminal had closed at 00:30: its batch is the first sale, which hand-0 took.
    completed('stuck', at('00:30'), totals(1));
    const outcome = log.at(-1)!;

    const { projector, apply, day: inKv } = kvFold(log);
    await apply(history);
    projector.retirePastDays(history.at(-1)!.position);
    expect(projector.storeDay('oslo', NEXT)).toBeUndefined();
    const next = inKv('oslo', NEXT)!;
    expect(next.closes?.['hand-0']).toMatchObject({ mismatch: true, differences: { purchasesCount: -1 } });
    await apply([outcome]);

    const day = inKv('oslo', DAY)!;
    const taker = inKv('oslo', NEXT)!;
    for (const [id, close] of [
      ['stuck', day.closes?.['stuck']],
      ['hand-0', taker.closes?.['hand-0']],
    ] as const) {
      expect([id, close]).not.toHaveProperty('1.differences');
      expect(close).toMatchObject({ recordedUnknown: true, mismatch: true });
    }
    const after = inKv('oslo', AFTER)!;
    expect(after.closes?.['hand-1']).toMatchObject({ recorded: totals(1), mismatch: false });
    // The taker's day keeps its sales: read back, not written from an empty day.
    expect(taker.currencies).toEqual(next.currencies);
  });
});

describe('the terminal’s first close, its batch taken by a close it made before, whose outcome comes later', () => {
  it('says its log side unknown, where it showed a difference made of the earlier close’s sale', () => {
    const { completed, fold, twoPending, salesPastTheBound } = aLog();
    twoPending();
    // The terminal closed at 17:00:30 (the sale at 10:00 its batch), then at 17:01:30 with nothing, its batch opening
    // at the first close (its start of day); the second outcome comes first, then more sales than are kept.
    completed('by-hand', at('17:01') + 30_000, { ...totals(0), startOfDayAt: iso(at('17:00') + 31_000) });
    salesPastTheBound();
    completed('nightly', at('17:00') + 30_000, totals(1));
    const day = fold().storeDay('oslo', DAY)!;
    for (const id of ['nightly', 'by-hand']) {
      expect([id, day.closes?.[id]]).not.toHaveProperty('1.differences');
      expect(day.closes?.[id]).toMatchObject({ recordedUnknown: true, mismatch: true });
    }
  });

  it('says so on its store day when a later close is the terminal’s last by then', () => {
    const { requested, completed, fold, twoPending, salesPastTheBound } = aLog();
    twoPending();
    completed('by-hand', at('17:01') + 30_000, { ...totals(0), startOfDayAt: iso(at('17:00') + 31_000) });
    salesPastTheBound();
    // A third close, after every sale past the bound: the terminal's last close, its batch those sales.
    requested('third', at('18:00'));
    completed('third', at('18:00') + 30_000, totals(SALES));
    completed('nightly', at('17:00') + 30_000, totals(1));
    const day = fold().storeDay('oslo', DAY)!;
    for (const id of ['nightly', 'by-hand']) {
      expect([id, day.closes?.[id]]).not.toHaveProperty('1.differences');
      expect(day.closes?.[id]).toMatchObject({ recordedUnknown: true, mismatch: true });
    }
    expect(day.closes?.['third']).toMatchObject({ recorded: totals(SALES), mismatch: false });
  });
});

describe('a close pending past the bound while a device swap waits, its batch taken by a close ended meanwhile', () => {
  it('says its log side unknown, and that close’s, where it was compared with the batch held now', () => {
    const { requested, completed, sale, enrolled, fold, twoPending, salesPastTheBound } = aLog();
    enrolled('D-OLD', at('00:00'));
    requested('night-before', at('00:01'));
    completed('night-before', at('00:05'), totals(0));
    twoPending();
    // The terminal closed at 17:00:30 (the sale at 10:00 its batch), then at 17:01:30 with nothing; the second outcome
    // comes first, then more sales than are kept (the close that ended meanwhile let go of), then the device is swapped.
    completed('by-hand', at('17:01') + 30_000, totals(0));
    salesPastTheBound();
    enrolled('D-NEW', at('18:00'));
    sale('new', at('18:10'));
    completed('nightly', at('17:00') + 30_000, totals(1));
    const projector = fold();
    const day = projector.storeDay('oslo', DAY)!;
    for (const id of ['nightly', 'by-hand']) {
      expect([id, day.closes?.[id]]).not.toHaveProperty('1.differences');
      expect(day.closes?.[id]).toMatchObject({ recordedUnknown: true, mismatch: true });
    }
    // The batch is split at the swap still: the new device's holds its own sale alone.
    expect(projector.terminal('oslo', 'T-1')!.openBatch).toMatchObject({ ...totals(1), since: iso(at('18:00')) });
  });
});

describe('a close let go of beyond the 50 kept pending whose outcome comes while a device swap waits', () => {
  it('says its log side unknown, where it was taken for the new device’s and compared with none of the sales', () => {
    const { completed, enrolled, fold, fiftyOnePending } = aLog();
    enrolled('D-OLD', at('00:00'));
    fiftyOnePending();
    // The till's device is swapped while the closes pend; close-0 had closed the batch (the sale at 10:00) at 17:00:30.
    enrolled('D-NEW', at('17:30'));
    completed('close-0', at('17:00') + 30_000, totals(1));
    const close = fold().storeDay('oslo', DAY)!.closes?.['close-0'];
    expect(close).not.toHaveProperty('differences');
    expect(close).toMatchObject({ recordedUnknown: true, mismatch: true });
  });
});
