import { closeLog, totals } from './support/close-log';

const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
const iso = (time: string) => new Date(at(time)).toISOString();

/**
 * The old device swapped out with no close pending makes a last sale that Dintero dates after the swap's instant (its
 * clock ahead of the engine's). The sale was sent to the old device: it is the batch swapped out with it, not the new
 * device's. Read by its time, it went to the new device's batch, and the new device's next close showed it extra.
 */
describe('a sale sent to the device swapped out, dated by Dintero after the swap, no close pending at it', () => {
  it.each([['before the new device’s close'], ['after it']])('heard of %s, is the batch swapped out’s', (when) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('16:00:00'));
    completed('old-1', at('16:00:05'), totals(0));
    enrolled('D-NEW', at('17:00:00'));
    const late = when === 'after it';
    if (!late) sale('old', at('17:00:02'), 'D-OLD');
    requested('new-1', at('17:30:00'));
    completed('new-1', at('17:30:05'), totals(0));
    if (late) sale('old', at('17:00:02'), 'D-OLD');
    requested('new-2', at('18:00:00'));
    completed('new-2', at('18:00:05'), totals(0));
    const { terminal, close } = log.foldedDay();
    expect(close('new-1')).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(close('new-2')).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(terminal.swappedOut?.[iso('17:00:00')]).toMatchObject({ device: 'D-OLD', ...totals(1) });
  });

  it('a sale naming no device is still told by its time: the new device’s', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('16:00:00'));
    completed('old-1', at('16:00:05'), totals(0));
    enrolled('D-NEW', at('17:00:00'));
    sale('unnamed', at('17:00:02'));
    requested('new-1', at('17:30:00'));
    completed('new-1', at('17:30:05'), totals(1));
    const { terminal, close } = log.foldedDay();
    expect(close('new-1')).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(terminal.swappedOut?.[iso('17:00:00')]).toMatchObject(totals(0));
  });
});

/**
 * The old device's close ended before the swap reached the log, Dintero dating it 17:00:05, after the swap's instant
 * (`closedAfterSwap`). The old device's last sale, dated 17:00:03, heard of after the new device's close, is that
 * close's: by the new device's close's window it went to the new device's open batch, and its next close showed it
 * extra. Dated after the old close (17:00:07), it is the batch swapped out after that close.
 */
describe('a sale sent to the device swapped out, dated after the swap, its close ended before the swap was heard of', () => {
  it.each([
    ['before the old close', '17:00:03', 1, 0],
    ['after the old close', '17:00:07', 0, 1],
  ])('dated %s and heard of after the new device’s close, is its device’s', (_, time, inClose, inSwappedOut) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('16:59:50'));
    completed('old-1', at('17:00:05'), totals(inClose));
    enrolled('D-NEW', at('17:00:00'));
    requested('new-1', at('17:30:00'));
    completed('new-1', at('17:30:05'), totals(0));
    sale('old', at(time), 'D-OLD');
    requested('new-2', at('18:00:00'));
    completed('new-2', at('18:00:05'), totals(0));
    const { terminal, close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ recorded: totals(inClose), mismatch: false });
    expect(close('new-1')).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(close('new-2')).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(terminal.swappedOut?.[iso('17:00:00')]).toMatchObject(totals(inSwappedOut));
  });
});

/**
 * The old device swapped out (D-A, at 17:00), back (17:10), closing its batch since (`next-0`, 17:13:05) and swapped out
 * again (17:18:14), no close pending at any swap: its sale dated 17:12:49, heard of after, is `next-0`'s. By the device
 * alone it went to the device's latest batch swapped out before it (17:00), that of the stint before it came back, and
 * `next-0` showed it missing (1 purchase against 2).
 */
describe('a sale sent to a device swapped out, back and out again, dated in the batch it closed since it came back', () => {
  it('is the close’s, not the batch swapped out before it came back', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    sale('a-0', at('16:30:00'), 'D-A');
    enrolled('D-B', at('17:00:00'));
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:12:13'), 'D-A');
    requested('next-0', at('17:13:00'));
    completed('next-0', at('17:13:05'), totals(2));
    enrolled('D-B', at('17:18:14'));
    sale('late', at('17:12:49'), 'D-A');
    const { terminal, close } = log.foldedDay();
    expect(close('next-0')).toMatchObject({ recorded: totals(2), mismatch: false });
    expect(terminal.swappedOut?.[iso('17:00:00')]).toMatchObject({ device: 'D-A', ...totals(1) });
  });
});
