import { closeLog, totals } from './support/close-log';
import { saleHeardAfterNextClose } from './support/swap-back-logs';

/**
 * D-A's close pends while the terminal's name goes to D-B and back to D-A (D-A, D-B, D-A again). The old close, run
 * after D-A came back (Dintero dates it 17:12), is heard of after D-A's next close ended (17:30); D-A's sale at 17:11
 * is heard of after both, no close pending. By its device and its time it is the old close's, as Dintero's batch held
 * it until 17:12 (the oracle's seed 64, close-swap-back-oracle's late sales heard of at any point).
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('a device swapped back, its old close heard of after its next close, its sale heard of after both', () => {
  it.each([
    ['sent to the device', 'D-A'],
    ['naming no device', undefined],
  ])('%s: is counted in the old close, not in the next', (_, device) => {
    const { close } = saleHeardAfterNextClose(DAY, device, 'afterNext').foldedDay();
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
  });
});

/**
 * Two closes of D-A pend at the swap (A, B, A). D-A's next close (17:16:25) ends, then the later old close (17:15:34),
 * its batch opening at it; D-A's sale at 17:11:32 is heard of then, the first old close (17:12:51) still pending. By
 * the next close's opening alone it was before the last batch, and on the store days the old closes are the swap's: it
 * was in no close, and the first old close showed it missing (0 purchases against 1) (the oracle's seed 313).
 */
describe('a device swapped back, its sale heard of after its next close and its later old close, the first pending', () => {
  it('is counted in the first old close', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    requested('a-close-1', at('16:59:40'));
    requested('a-close-2', at('16:59:50'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    requested('a-close-3', at('17:16:20'));
    completed('a-close-3', at('17:16:25'), totals(0));
    completed('a-close-2', at('17:15:34'), totals(0));
    sale('a-1', at('17:11:32'), 'D-A');
    completed('a-close-1', at('17:12:51'), totals(1));
    const { close } = log.foldedDay();
    expect(close('a-close-1')).toMatchObject({ device: 'D-A', recorded: totals(1), mismatch: false });
    expect(close('a-close-2')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
    expect(close('a-close-3')).toMatchObject({ device: 'D-A', recorded: totals(0), mismatch: false });
  });
});
