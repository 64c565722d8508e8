import type { StoreDayDoc } from '../src/read-models/read-model.types';
import { closeLog, totals } from './support/close-log';
import { kvAfter } from './support/kv-fold';
import { saleHeardAfterNextClose, saleHeardAfterOldClose } from './support/swap-back-logs';

/**
 * Two closes of D-A pend while the terminal's name goes to D-B and back to D-A (D-A, D-B, D-A again). The first, run
 * after D-A came back (Dintero dates it 17:12, D-A back at 17:10), ends while the other still pends: D-A's batch held
 * its sale at 17:11 until that close. The sale heard of after the close ended is that close's, by its device and its
 * time against the close. By its time against the first swap's instant alone (the device the swap's own once more),
 * it was the next batch's: the first close showed it missing (0 purchases against 1), D-A's next close extra.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('a device swapped back, its sale heard of after its old close ended while another old close pends', () => {
  it('is counted in that old close, not in the device’s next close', () => {
    const { terminal, close } = saleHeardAfterOldClose(DAY).foldedDay();
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
    expect(terminal.swappedOut?.[`${DAY}T17:10:00.000Z`]).toMatchObject({ device: 'D-B', ...totals(1) });
  });

  it('started again from KV after any event: the same closes on the day', async () => {
    const { log } = saleHeardAfterOldClose(DAY);
    for (let cut = 1; cut < log.length; cut++) {
      const day = (await kvAfter(log, cut)).get(`store-day:oslo.${DAY}`) as StoreDayDoc | undefined;
      const closes = day?.closes;
      expect([cut, closes?.['a-close-1']?.recorded, closes?.['a-close-2']?.recorded]).toEqual([
        cut,
        totals(1),
        totals(0),
      ]);
    }
  });
});

/**
 * The same swap back, D-A's sale between its return (17:10) and its old close (17:12) naming no device (a refund
 * recorded late names none, as did sales recorded before the command service named the device): told by its time, it
 * is D-A's (the device that had the name then), and D-A's batch held it until that close. By its time against the
 * first swap's instant alone it was the new device's, past the old close: the old close showed it missing (0
 * purchases against 1), D-A's next close extra (1 against 0). Heard of before the old close ended, after it (another
 * old close pending, or none), or before D-A's next close, the old close's outcome heard of after that one.
 */
function namingNoneAfterReturn(heard: 'before' | 'after' | 'afterSplit' | 'afterNext') {
  const log = closeLog(DAY);
  const { requested, completed, failed, sale, enrolled } = log;
  enrolled('D-A', at('00:00:00'));
  requested('a-close-1', at('16:59:50'));
  if (heard === 'after') requested('a-close-x', at('16:59:52'));
  enrolled('D-B', at('17:00:00'));
  sale('b-1', at('17:05:00'), 'D-B');
  enrolled('D-A', at('17:10:00'));
  if (heard === 'before') sale('a-1', at('17:11:00'));
  if (heard !== 'afterNext') completed('a-close-1', at('17:12:00'), totals(1));
  if (heard === 'afterSplit') sale('a-1', at('17:11:00'));
  if (heard === 'after') {
    sale('a-1', at('17:11:00'));
    failed('a-close-x', at('17:20:00'));
  }
  if (heard === 'afterNext') sale('a-1', at('17:11:00'));
  requested('a-close-2', at('17:30:00'));
  completed('a-close-2', at('17:30:05'), totals(0));
  if (heard === 'afterNext') completed('a-close-1', at('17:12:00'), totals(1));
  return log;
}

describe('a device swapped back, its sale naming no device between its return and its old close', () => {
  it.each([
    ['heard of before the old close ended', 'before'],
    ['heard of after it, another old close pending', 'after'],
    ['heard of after it, no close pending (the swap split)', 'afterSplit'],
    ['heard of before the device’s next close, the old close after it', 'afterNext'],
  ] as const)('%s, is counted in that old close', (_, heard) => {
    const { close } = namingNoneAfterReturn(heard).foldedDay();
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
  });
});

/**
 * The same swap back, D-A's old close (17:12) the only close pending: once it ends the swap is split, and D-A's next
 * batch opens at that close, not at D-A's return (17:10): its sale at 17:11, sent to it or naming none, heard of after
 * D-A's next close ended, is the old close's. By the batch opened at the return, the next close held it: the old close
 * showed it missing (0 purchases against 1), the next close extra (1 against 0).
 */
describe('a device swapped back, its old close the only one pending, its sale heard of after its next close', () => {
  it.each([
    ['sent to it', 'D-A'],
    ['naming no device', undefined],
  ])('%s, is counted in the old close', (_, device) => {
    const { close } = saleHeardAfterNextClose(DAY, device, 'first').foldedDay();
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
  });
});

/**
 * The same swap back, D-B's sales heard of late, after D-A came back: D-B's close ended while D-A's old close pended
 * (17:08), and its sale before it (17:07) is that close's; its sale after it (17:09) is of the batch swapped out with
 * D-B when D-A came back. Neither is D-A's: counted in D-A's next close, that close showed a difference that was not
 * there. Heard of while the old close still pends, or once it ended (the swap split).
 */
describe('a device swapped back, the other device’s sales heard of after it came back', () => {
  it.each([
    ['the old close still pending', false],
    ['the old close ended', true],
  ])('go to that device’s close and its batch swapped out, %s', (_, oldEnded) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('a-close-1', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    requested('b-close-1', at('17:07:30'));
    completed('b-close-1', at('17:08:00'), totals(1));
    enrolled('D-A', at('17:10:00'));
    if (oldEnded) completed('a-close-1', at('16:59:55'), totals(0));
    sale('b-1', at('17:07:00'), 'D-B');
    sale('b-2', at('17:09:00'), 'D-B');
    if (!oldEnded) completed('a-close-1', at('16:59:55'), totals(0));
    requested('a-close-2', at('17:30:00'));
    completed('a-close-2', at('17:30:05'), totals(0));
    const { terminal, close } = log.foldedDay();
    expect(close('b-close-1')).toMatchObject({ device: 'D-B', recorded: totals(1), mismatch: false });
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
    expect(terminal.swappedOut?.[`${DAY}T17:10:00.000Z`]).toMatchObject({ device: 'D-B', ...totals(1) });
  });
});
