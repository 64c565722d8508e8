import { closeLog, totals } from './support/close-log';

/**
 * A device swapped in at 17:00:00 by the engine's clock closes its first batch at once, Dintero's clock a few seconds
 * behind the engine's: Dintero dates the close 16:59:58, before the swap, though it was asked of the new device after
 * it. Read by the instants alone, the close closed before its batch opened (at the swap), so a close after it took its
 * batch: it was said to have lost its batch, its log side unknown, a mismatch that is not there (the new device had
 * sold nothing, and said so). By the device it was asked of (`OperationRequested.dinteroTerminalId`), it is the close
 * of the batch the new device opened at the swap, and compared with it.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

/** The old device's day closed, the swap, and the new device's first close, dated by Dintero at `closedAt`. */
function swappedLog(closedAt: string) {
  const log = closeLog(DAY);
  const { requested, completed, sale, enrolled } = log;
  enrolled('D-OLD', at('00:00:00'));
  sale('old', at('10:00:00'));
  requested('old-1', at('16:00:00'));
  completed('old-1', at('16:00:05'), totals(1));
  enrolled('D-NEW', at('17:00:00'));
  requested('new-1', at('17:00:01'));
  completed('new-1', at(closedAt), totals(0));
  // The new device's first sale, after its close: its next close's.
  sale('new', at('17:30:00'));
  requested('new-2', at('18:00:00'));
  completed('new-2', at('18:00:05'), totals(1));
  return log;
}

describe('a new device’s close that Dintero dates before the swap, its clock behind the engine’s', () => {
  it.each([['16:59:58'], ['17:00:02']])('at %s compares the batch the new device opened, empty', (closedAt) => {
    const { terminal, close } = swappedLog(closedAt).foldedDay();
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(0), mismatch: false });
    expect(close('new-1')).not.toHaveProperty('recordedUnknown');
    expect(close('new-1')).not.toHaveProperty('batchLost');
    expect(close('new-2')).toMatchObject({ device: 'D-NEW', recorded: totals(1), mismatch: false });
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(terminal.lastClose).toEqual(close('new-2'));
    expect(terminal.openBatch).not.toHaveProperty('closingOn');
  });
});

/**
 * The old device's close ends before the swap reaches the log, Dintero dating it 17:00:05, after the swap's instant
 * (17:00:00, the engine's, taken before the registry spoke to Dintero). A sale of the new device timed 17:00:02 (the
 * engine's time, Dintero gave none) came after the swap: the new device's. By the instants alone it was before the
 * old device's close, in that close's batch: the old close showed 2 purchases against the terminal's 1, and the new
 * device's close none against its 1. By the device the old close was sent to (the one swapped out), a fact after the
 * swap is none of its own.
 */
describe('an old device’s close ended before the swap, Dintero dating it after the swap’s instant', () => {
  it('leaves a sale of the new device after the swap to the new device’s close', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'));
    requested('old-1', at('16:59:50'));
    completed('old-1', at('17:00:05'), totals(1));
    enrolled('D-NEW', at('17:00:00'));
    sale('new', at('17:00:02'));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(1));
    const { terminal, close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(1), mismatch: false });
    expect(terminal.swappedOut?.[new Date(at('17:00:00')).toISOString()]).toMatchObject({ closedAfterSwap: ['old-1'] });
  });
});

/**
 * A guard, which held before the device was kept: the old device's close pending at the swap, its outcome after it,
 * dated by Dintero after the swap's instant (or before it, its clock behind). The swap names the closes pending at it
 * (`swappedWhileClosing.closes`), all sent to the old device (a device change waits for the operation's hold on the
 * terminal): the close is cut at the swap, and the new device's sale between the swap and the close's time is the new
 * device's.
 */
describe('an old device’s close pending at the swap, its outcome after it', () => {
  it.each([['17:00:05'], ['16:59:58']])('dated %s, takes the old device’s sales alone', (closedAt) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'));
    requested('old-1', at('16:59:50'));
    enrolled('D-NEW', at('17:00:00'));
    sale('new', at('17:00:03'));
    completed('old-1', at(closedAt), totals(1));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(1));
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(1), mismatch: false });
  });
});

/**
 * The old device's last close ended before another of its closes was asked for, Dintero dating it after the swap's
 * instant (its clock ahead of the engine's); that other close pends at the swap and ends without closing. The split at
 * the swap took a last close the swap does not name, dated after it, for the new device's, and opened the new device's
 * batch at it: a sale of the new device between the swap and that close, heard of late, went to the old device's close,
 * each close showing a difference that was not there. It was sent to the old device.
 */
describe('the old device’s last close dated after the swap, another of its closes pending at it and failing', () => {
  it('leaves the new device’s batch opened at the swap, and its sale heard of late its own', () => {
    const log = closeLog(DAY);
    const { requested, completed, failed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'));
    requested('old-0', at('16:59:40'));
    completed('old-0', at('17:00:06'), totals(1));
    requested('old-1', at('16:59:57'));
    enrolled('D-NEW', at('17:00:00'));
    sale('new', at('17:00:10'));
    failed('old-1', at('17:00:20'));
    requested('new-2', at('18:00:00'));
    completed('new-2', at('18:00:05'), totals(2));
    sale('late', at('17:00:03'));
    const { close } = log.foldedDay();
    expect(close('old-0')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-2')).toMatchObject({
      device: 'D-NEW',
      openedAt: new Date(at('17:00:00')).toISOString(),
      recorded: totals(2),
      mismatch: false,
    });
  });
});
