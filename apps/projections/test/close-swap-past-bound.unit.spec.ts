import { closeLog, totals } from './support/close-log';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';

/**
 * The bound of what a batch keeps while closes pend (1,000 facts with times) reached while a device swap waits for the
 * old device's close: the swap is kept, the new device's facts past the bound summed apart from the old device's
 * (`withinKeptBound`), so that however the old device's close ends, each device's close is compared with its own
 * sales. Before, the swap was let go of and both devices shared the batch: the old device's close failing left its sale
 * in the batch the new device's close was compared with (differences {purchasesCount: -1, purchasesAmount: -100}).
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('the bound reached while a device swap waits for the old device’s close', () => {
  it('compares the new device’s close with the new device’s sales alone when the old close then fails', () => {
    const log = closeLog(DAY);
    const { requested, completed, failed, sale, sales, enrolled } = log;
    enrolled('D-OLD', at('00:00'));
    sale('old', at('10:00'));
    requested('old-close', at('17:00'));
    // The old device is swapped out while its close pends; the new one sells more than the batch keeps with times.
    enrolled('D-NEW', at('17:30'));
    sales('new', at('17:40'), 1_001);
    // The old device's close never closed its batch: the sale at 10:00 is the old device's, in no close of the engine.
    failed('old-close', at('18:00'));
    requested('new-close', at('19:00'));
    completed('new-close', at('19:00') + 30_000, totals(1_001));
    const { terminal, close } = log.foldedDay();
    expect(close('new-close')).not.toHaveProperty('differences');
    expect(close('new-close')).toMatchObject({ recorded: totals(1_001), mismatch: false });
    expect(terminal.swappedOut?.[new Date(at('17:30')).toISOString()]).toMatchObject({ device: 'D-OLD', ...totals(1) });
  });

  it('compares each device’s close with its own sales when the old close completes after the new device’s sales', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, sales, enrolled } = log;
    enrolled('D-OLD', at('00:00'));
    sale('old', at('10:00'));
    requested('old-close', at('17:00'));
    // An old device's sale after its close was asked for, before the swap: its close, dated after the swap, takes it.
    sale('old-late', at('17:10'));
    enrolled('D-NEW', at('17:30'));
    sales('new', at('17:40'), 1_050);
    completed('old-close', at('18:00'), totals(2));
    requested('new-close', at('19:00'));
    completed('new-close', at('19:00') + 30_000, totals(1_050));
    const { terminal, close } = log.foldedDay();
    expect(close('old-close')).toMatchObject({ recorded: totals(2), mismatch: false });
    expect(close('old-close')).not.toHaveProperty('recordedUnknown');
    expect(close('new-close')).toMatchObject({ recorded: totals(1_050), mismatch: false });
    expect(close('new-close')).not.toHaveProperty('recordedUnknown');
    expect(terminal.openBatch).toMatchObject(totals(0));
  });

  it('compares the old device’s close with its sales before the swap, past the bound on both sides of it', () => {
    const log = closeLog(DAY);
    const { requested, completed, sales, enrolled } = log;
    enrolled('D-OLD', at('00:00'));
    requested('old-close', at('09:00'));
    // Past the bound before the swap (the old device's, its close dated after them all) and after it (the new one's).
    sales('old', at('10:00'), 1_001);
    enrolled('D-NEW', at('11:00'));
    sales('new', at('11:10'), 1_002);
    completed('old-close', at('12:00'), totals(1_001));
    requested('new-close', at('19:00'));
    completed('new-close', at('19:00') + 30_000, totals(1_002));
    const { close } = log.foldedDay();
    expect(close('old-close')).toMatchObject({ recorded: totals(1_001), mismatch: false });
    expect(close('new-close')).toMatchObject({ recorded: totals(1_002), mismatch: false });
  });

  it('keeps the new device’s sales past the bound for its close that ends while the old one still pends', () => {
    const log = closeLog(DAY);
    const { requested, completed, failed, sale, sales, enrolled } = log;
    enrolled('D-OLD', at('00:00'));
    sale('old', at('10:00'));
    requested('old-close', at('17:00'));
    enrolled('D-NEW', at('17:30'));
    sales('new', at('17:40'), 1_001);
    // The new device closes after its sales (all past the bound, their times let go of) while the old close pends.
    requested('new-close', at('18:00'));
    completed('new-close', at('18:05'), totals(1_001));
    sales('newer', at('18:10'), 2);
    failed('old-close', at('18:30'));
    requested('next-close', at('19:00'));
    completed('next-close', at('19:00') + 30_000, totals(2));
    const { terminal, close } = log.foldedDay();
    expect(close('new-close')).toMatchObject({ recorded: totals(1_001), mismatch: false });
    expect(close('next-close')).toMatchObject({ recorded: totals(2), mismatch: false });
    expect(terminal.swappedOut?.[new Date(at('17:30')).toISOString()]).toMatchObject({ device: 'D-OLD', ...totals(1) });
  });

  it('says the log side unknown of the new device’s close that closed among its sales past the bound', () => {
    const log = closeLog(DAY);
    const { requested, completed, failed, sales, enrolled } = log;
    enrolled('D-OLD', at('00:00'));
    requested('old-close', at('17:00'));
    enrolled('D-NEW', at('17:30'));
    requested('new-close', at('17:35'));
    // 1,001 sales from 17:40 to 17:56:40; the new device closed at 17:50, among them, heard of after them all.
    sales('new', at('17:40'), 1_001);
    completed('new-close', at('17:50'), totals(600));
    failed('old-close', at('18:30'));
    requested('next-close', at('19:00'));
    completed('next-close', at('19:00') + 30_000, totals(401));
    const { close } = log.foldedDay();
    // Which of the sales past the bound were whose is not known: both say so, and neither shows a difference made up.
    for (const id of ['new-close', 'next-close']) {
      expect(close(id)).toMatchObject({ recordedUnknown: true, mismatch: true });
      expect(close(id)).not.toHaveProperty('differences');
    }
  });

  it('gives the device swapped back in its own batch, past the bound before and after', () => {
    const log = closeLog(DAY);
    const { requested, completed, failed, sale, sales, enrolled } = log;
    enrolled('D-OLD', at('00:00'));
    sale('old', at('10:00'));
    requested('old-close', at('17:00'));
    enrolled('D-NEW', at('17:30'));
    sales('new', at('17:31'), 1_001);
    // The old device takes its name back while its close still pends: it opens a batch of its own.
    enrolled('D-OLD', at('18:00'));
    sales('back', at('18:05'), 1_003);
    failed('old-close', at('18:40'));
    requested('back-close', at('19:00'));
    completed('back-close', at('19:00') + 30_000, totals(1_003));
    const { terminal, close } = log.foldedDay();
    expect(close('back-close')).toMatchObject({ recorded: totals(1_003), mismatch: false });
    expect(terminal.swappedOut?.[new Date(at('17:30')).toISOString()]).toMatchObject({ device: 'D-OLD', ...totals(1) });
    expect(terminal.swappedOut?.[new Date(at('18:00')).toISOString()]).toMatchObject({
      device: 'D-NEW',
      ...totals(1_001),
    });
  });

  it('keeps two swaps apart while the old device’s close pends, past the bound between them', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, sales, enrolled } = log;
    enrolled('D-OLD', at('00:00'));
    sale('old', at('10:00'));
    requested('old-close', at('17:00'));
    enrolled('D-NEW', at('17:30'));
    sales('new', at('17:31'), 1_001);
    enrolled('D-THIRD', at('18:00'));
    sales('third', at('18:01'), 3);
    completed('old-close', at('18:10'), totals(1));
    requested('third-close', at('19:00'));
    completed('third-close', at('19:00') + 30_000, totals(3));
    const { terminal, close } = log.foldedDay();
    expect(close('old-close')).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(close('third-close')).toMatchObject({ recorded: totals(3), mismatch: false });
    expect(terminal.swappedOut?.[new Date(at('18:00')).toISOString()]).toMatchObject({
      device: 'D-NEW',
      ...totals(1_001),
    });
  });
});

describe('a close let go of beyond the 50 kept pending while a device swap waits', () => {
  it('says the log side unknown of the new device’s next close, where it was compared with the let-go close’s sale', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00'));
    requested('old-close', at('17:00'));
    enrolled('D-NEW', at('17:30'));
    // 51 closes pending, then 52: the old device's close, then the new device's first, are let go of.
    requested('new-close', at('17:31'));
    for (let i = 0; i < 49; i++) requested(`stuck-${i}`, at('17:31'));
    requested('next-close', at('17:32'));
    sale('first', at('17:33'));
    // The new device's first close, let go of: which device's it is, is not known, and it is taken as the old one's.
    completed('new-close', at('17:34'), totals(1));
    sale('second', at('17:35'));
    completed('next-close', at('17:36'), totals(1));
    const { close } = log.foldedDay();
    expect(close('new-close')).toMatchObject({ recordedUnknown: true, mismatch: true });
    // Its batch held the sale at 17:35 alone, but the fold cannot tell it from the one at 17:33: unknown, not -1.
    expect(close('next-close')).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(close('next-close')).not.toHaveProperty('differences');
  });
});

describe('device swaps past the bound, beside what the cases above cover', () => {
  it('keeps each device’s sales apart per currency, the old device past the bound before the swap and the new after', () => {
    const log = closeLog(DAY);
    const { requested, completed, enrolled } = log;
    const events = terminalCloseEvents(logOfEvents());
    const sale = (id: string, when: number, currency: string) =>
      log.log.push(...events.sale(id, new Date(when).toISOString(), 100, currency));
    enrolled('D-OLD', at('00:00'));
    requested('old-close', at('09:00'));
    for (let i = 0; i < 600; i++) sale(`old-${i}`, at('10:00') + i * 1_000, i % 3 === 0 ? 'SEK' : 'NOK');
    enrolled('D-NEW', at('11:00'));
    requested('new-close', at('11:05'));
    for (let i = 0; i < 700; i++) sale(`new-${i}`, at('11:10') + i * 1_000, i % 2 === 0 ? 'EUR' : 'NOK');
    // The new device's close ends while the old one pends; its sales after it reach the bound.
    completed('new-close', at('11:40'), totals(700));
    for (let i = 0; i < 900; i++) sale(`next-${i}`, at('11:45') + i * 1_000, 'EUR');
    // Dintero dates the old device's close after the swap: it takes its sales up to the swap, in SEK and NOK alone.
    completed('old-close', at('12:30'), totals(600));
    requested('next-close', at('19:00'));
    completed('next-close', at('19:00') + 30_000, totals(900));
    const { close } = log.foldedDay();
    expect(close('old-close')).toMatchObject({
      recorded: totals(600),
      currencies: { SEK: totals(200), NOK: totals(400) },
      mismatch: false,
    });
    expect(Object.keys(close('old-close')?.currencies ?? {}).sort()).toEqual(['NOK', 'SEK']);
    expect(close('new-close')).toMatchObject({
      recorded: totals(700),
      currencies: { EUR: totals(350), NOK: totals(350) },
      mismatch: false,
    });
    expect(close('next-close')).toMatchObject({ recorded: totals(900), currencies: { EUR: totals(900) } });
    expect(Object.keys(close('next-close')?.currencies ?? {})).toEqual(['EUR']);
  });

  it.each([
    ['a third device', 'D-THIRD', 'failed'],
    ['a third device', 'D-THIRD', 'completed'],
    ['the old device back', 'D-OLD', 'failed'],
    ['the old device back', 'D-OLD', 'completed'],
  ])(
    'keeps %s (%s) apart from the device it swaps out, past the bound before and after it (old close %s)',
    (_, third, ends) => {
      const log = closeLog(DAY);
      const { requested, completed, failed, sale, sales, enrolled } = log;
      enrolled('D-OLD', at('00:00'));
      sale('old', at('10:00'));
      requested('old-close', at('17:00'));
      enrolled('D-NEW', at('17:30'));
      requested('new-close', at('17:31'));
      sales('new', at('17:32'), 5);
      completed('new-close', at('17:40'), totals(5));
      // The new device's sales after its close reach the bound; then another device takes the name, and sells past it.
      sales('newer', at('17:41'), 1_001);
      enrolled(third, at('18:10'));
      sales('third', at('18:11'), 1_001);
      requested('third-close', at('18:40'));
      completed('third-close', at('18:45'), totals(1_001));
      sales('third-more', at('18:50'), 3);
      // The old device back, its close run at 19:00 closes its batch there: its three sales at 18:50 (naming no device,
      // its by their time) with it, as they would sent to it, and its next close holds the two after.
      const oldBackCloses = third === 'D-OLD' && ends === 'completed';
      if (ends === 'failed') failed('old-close', at('19:00'));
      else completed('old-close', at('19:00'), totals(oldBackCloses ? 4 : 1));
      sales('third-last', at('19:05'), 2);
      requested('third-next', at('19:10'));
      completed('third-next', at('19:11'), totals(oldBackCloses ? 2 : 5));
      const { terminal, close } = log.foldedDay();
      expect(close('new-close')).toMatchObject({ recorded: totals(5), mismatch: false });
      expect(close('third-close')).toMatchObject({ recorded: totals(1_001), mismatch: false });
      expect(close('third-next')).toMatchObject({ recorded: totals(oldBackCloses ? 2 : 5), mismatch: false });
      if (ends === 'completed')
        expect(close('old-close')).toMatchObject({ recorded: totals(oldBackCloses ? 4 : 1), mismatch: false });
      // The new device's batch after its close, swapped out with it: the sales past the bound between the two swaps.
      expect(terminal.swappedOut?.[new Date(at('18:10')).toISOString()]).toMatchObject({
        device: 'D-NEW',
        since: new Date(at('17:40')).toISOString(),
        ...totals(1_001),
      });
    },
  );
});
