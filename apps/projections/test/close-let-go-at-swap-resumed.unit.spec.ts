import { closeLog, totals } from './support/close-log';
import { kvAfter } from './support/kv-fold';

/**
 * A close let go of beyond the 50 kept pending, completed (without totals) after a device swap in the very second of
 * the swap, while the other closes still pend. The fold takes such a close for the old device's, but left it unnamed
 * by the swap (`swappedWhileClosing.closes`), so that it then counted as the new device's; a projector started again
 * from KV read it as the old device's (the closes a swap names are read on load, `withSwapNamingItsCloses`), and ended
 * with other documents than one fold: the old device's sale at the swap's instant in the close in one, not in the other.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

function theLog() {
  const log = closeLog(DAY);
  const { requested, completed, sale, enrolled } = log;
  enrolled('D-OLD', at('00:00:00'));
  requested('first', at('06:00:31'));
  // 50 closes that never end asked for after it: the first is let go of.
  for (let i = 0; i < 50; i++) requested(`stuck-${i}`, at('06:00:31'));
  sale('a', at('06:00:31'));
  enrolled('D-NEW', at('06:00:32'));
  completed('first', at('06:00:32'));
  // The old device's: made at the swap's instant, before the terminal closed (the same second), heard of after.
  const cut = log.log.length;
  sale('b', at('06:00:32'));
  return { log: log.log, cut };
}

describe('a close let go of beyond the 50 pending, completed in the second of a device swap', () => {
  it('is the old device’s in one fold as in a projector started again from KV after it', async () => {
    const { log, cut } = theLog();
    const whole = await kvAfter(log);
    expect(await kvAfter(log, cut)).toEqual(whole);
    // Its batch held both of the old device's sales (its log side unknown all the same: it was let go of).
    const day = whole.get(`store-day:oslo.${DAY}`) as { closes?: Record<string, unknown> };
    expect(day.closes?.['first']).toMatchObject({ recorded: totals(2), recordedUnknown: true, mismatch: true });
  });
});
