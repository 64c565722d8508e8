import { closeLog } from './support/close-log';

/**
 * A close let go of beyond the 50 kept pending, asked for before a device swap and dated by Dintero after it, and a
 * close of the old device pending at the swap that closed after it. Heard of while the swap waits, the let-go close is
 * taken for the old device's (`letGoAtSwap`): it takes the old device's sale, and the old close after it, its batch
 * incomplete, says its log side unknown. Heard of after the split at the swap, it was taken for the new device's alone:
 * the old close kept the old device's sale as known, a mismatch (without totals) that is not there had the let-go
 * close been the old device's. It says its log side unknown in either order (`swappedOutTaker`).
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

function fold(letGoHeard: 'while the swap waits' | 'after the split') {
  const log = closeLog(DAY);
  const { completed } = log;
  const { stuckEnded } = log.letGoBeforeSwap();
  if (letGoHeard === 'while the swap waits') completed('let-go', at('18:00:00'));
  // The stuck closes end without closing: the old device's last pending close ends at old-2's outcome.
  stuckEnded();
  completed('old-2', at('18:00:05'));
  if (letGoHeard === 'after the split') completed('let-go', at('18:00:00'));
  return log.fold().storeDay('oslo', DAY)!;
}

describe('a close let go of, dated after a swap, before a close of the old device', () => {
  it.each(['while the swap waits', 'after the split'] as const)(
    'heard of %s, leaves the old close’s log side unknown',
    (letGoHeard) => {
      const day = fold(letGoHeard);
      expect(day.closes?.['let-go']).toMatchObject({ recordedUnknown: true, mismatch: true });
      expect(day.closes?.['old-2']).toMatchObject({ recordedUnknown: true, mismatch: true });
    },
  );
});
