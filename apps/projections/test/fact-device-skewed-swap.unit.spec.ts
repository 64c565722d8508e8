import { closeLog, totals } from './support/close-log';

/**
 * A device swapped in at 17:00:00 by the engine's clock makes its first sale at once, Dintero's clock a few seconds
 * behind the engine's: Dintero dates the sale 16:59:58, before the swap. The sale was sent to the new device
 * (`PaymentRequested.dinteroTerminalId`), so it is in the new device's batch, whatever Dintero's clock says against the
 * engine's. Read by the instants alone, it was in the batch swapped out with the old device, and the new device's close
 * showed a purchase missing from the log.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
const SWAP = new Date(at('17:00:00')).toISOString();
/** A batch of one refund of 100 and no purchase. */
const REVERSED = { purchasesCount: 0, purchasesAmount: 0, reversalsCount: 1, reversalsAmount: 100 };

describe('a sale sent to the new device that Dintero dates before the swap, no close pending at it', () => {
  it('is counted in the new device’s close, not in the batch swapped out', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('10:00:00'), 'D-OLD');
    requested('old-1', at('16:00:00'));
    completed('old-1', at('16:00:05'), totals(1));
    enrolled('D-NEW', at('17:00:00'));
    sale('new', at('16:59:58'), 'D-NEW');
    requested('new-1', at('17:30:00'));
    completed('new-1', at('17:30:05'), totals(1));
    const { terminal, close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(1), mismatch: false });
    expect(terminal.swappedOut?.[SWAP]).toMatchObject({ device: 'D-OLD', ...totals(0) });
  });

  it('a refund done at the new device, dated before the swap, is counted in the new device’s close', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, refund, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('10:00:00'), 'D-OLD');
    requested('old-1', at('16:00:00'));
    completed('old-1', at('16:00:05'), totals(1));
    enrolled('D-NEW', at('17:00:00'));
    refund('old', 'r-1', at('16:59:58'), 'D-NEW');
    requested('new-1', at('17:30:00'));
    completed('new-1', at('17:30:05'), REVERSED);
    const { terminal, close } = log.foldedDay();
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: REVERSED, mismatch: false });
    expect(terminal.swappedOut?.[SWAP]).toMatchObject({ device: 'D-OLD', ...totals(0) });
  });

  it.each([
    ['after the new device’s first close', ['new-1'], 'new-1'],
    ['after its first two closes', ['new-1', 'new-2'], 'new-1'],
  ])('heard of %s, is counted in the first', (_, closes, holder) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('16:00:00'));
    completed('old-1', at('16:00:05'), totals(0));
    enrolled('D-NEW', at('17:00:00'));
    closes.forEach((id, i) => {
      requested(id, at(`1${7 + i}:30:00`));
      completed(id, at(`1${7 + i}:30:05`), totals(id === holder ? 1 : 0));
    });
    sale('new', at('16:59:58'), 'D-NEW');
    const { terminal, close } = log.foldedDay();
    for (const id of closes)
      expect(close(id)).toMatchObject({ recorded: totals(id === holder ? 1 : 0), mismatch: false });
    expect(close('old-1')).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(terminal.swappedOut?.[SWAP]).toMatchObject(totals(0));
  });

  it('a sale naming no device is still told by its time: the batch swapped out holds it', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('16:00:00'));
    completed('old-1', at('16:00:05'), totals(0));
    enrolled('D-NEW', at('17:00:00'));
    sale('unnamed', at('16:59:58'));
    requested('new-1', at('17:30:00'));
    completed('new-1', at('17:30:05'), totals(0));
    const { terminal, close } = log.foldedDay();
    expect(close('new-1')).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(terminal.swappedOut?.[SWAP]).toMatchObject({ device: 'D-OLD', ...totals(1) });
  });
});

/**
 * The old device's close pending at the swap, its outcome after it (dated 17:00:05): it is cut at the swap, and takes
 * the old device's facts up to it. The new device's first sale, dated 16:59:58 by Dintero, was sent to the new device:
 * it is the new device's close's, not the old close's.
 */
describe('a sale sent to the new device that Dintero dates before the swap, the old device’s close pending at it', () => {
  it('is counted in the new device’s close, not in the old device’s', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'), 'D-OLD');
    requested('old-1', at('16:59:50'));
    enrolled('D-NEW', at('17:00:00'));
    sale('new', at('16:59:58'), 'D-NEW');
    completed('old-1', at('17:00:05'), totals(1));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(1));
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(1), mismatch: false });
  });

  it('a refund done at the new device, dated before the swap, is counted in the new device’s close', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, refund, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'), 'D-OLD');
    requested('old-1', at('16:59:50'));
    enrolled('D-NEW', at('17:00:00'));
    refund('old', 'r-1', at('16:59:58'), 'D-NEW');
    completed('old-1', at('17:00:05'), totals(1));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), REVERSED);
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: REVERSED, mismatch: false });
  });

  it('heard of after the new device’s first close ended, the old one’s still pending, is counted in the new one’s', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'), 'D-OLD');
    requested('old-1', at('16:59:50'));
    enrolled('D-NEW', at('17:00:00'));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(1));
    sale('new', at('16:59:58'), 'D-NEW');
    completed('old-1', at('17:00:05'), totals(1));
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(1), mismatch: false });
  });

  it.each([
    ['after the swap (its clock ahead), is', '17:00:03'],
    ['before the swap, stays', '16:59:55'],
  ])('a sale sent to the old device, dated by Dintero %s the old device’s close’s', (_, saleAt) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('16:59:50'));
    enrolled('D-NEW', at('17:00:00'));
    sale('old', at(saleAt), 'D-OLD');
    completed('old-1', at('17:00:05'), totals(1));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(0));
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ recorded: totals(0), mismatch: false });
  });
});

/**
 * The old device's close ends before the swap reaches the log, Dintero dating it 17:00:05, after the swap's instant
 * (17:00:00). The new device's first sale, dated 16:59:58, is before both by the instants, in the old close's batch: it
 * was counted in that close (2 purchases against the terminal's 1), and the new device's close showed it missing. It was
 * sent to the new device: the old close, sent to the old one, is not its close, heard of before the new device's close
 * or after it.
 */
describe('a sale sent to the new device dated before the swap, the old device’s close ended before the swap', () => {
  it.each([['before the new device’s close'], ['after it']])('heard of %s, is the new device’s close’s', (when) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'), 'D-OLD');
    requested('old-1', at('16:59:50'));
    completed('old-1', at('17:00:05'), totals(1));
    enrolled('D-NEW', at('17:00:00'));
    const late = when === 'after it';
    if (!late) sale('new', at('16:59:58'), 'D-NEW');
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(1));
    if (late) sale('new', at('16:59:58'), 'D-NEW');
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(1), mismatch: false });
  });

  it('heard of after two closes of the new device, is the first’s, not the old close’s on its store day', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'), 'D-OLD');
    requested('old-1', at('16:59:50'));
    completed('old-1', at('17:00:05'), totals(1));
    enrolled('D-NEW', at('17:00:00'));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(1));
    requested('new-2', at('18:00:00'));
    completed('new-2', at('18:00:05'), totals(0));
    sale('new', at('16:59:58'), 'D-NEW');
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(1), mismatch: false });
    expect(close('new-2')).toMatchObject({ device: 'D-NEW', recorded: totals(0), mismatch: false });
  });
});
