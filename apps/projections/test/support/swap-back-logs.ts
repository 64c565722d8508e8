import { closeLog, totals } from './close-log';

/**
 * A device swapped back while two of its closes pend (D-A, then D-B at 17:00, D-A again at 17:10): D-A's old close
 * (17:12) ends first, and its sale at 17:11 is heard of after it, the other old close pending until it fails; D-A's next
 * close (17:30) finds nothing. The sale is the old close's.
 */
export function saleHeardAfterOldClose(day: string) {
  const at = (time: string) => Date.parse(`${day}T${time}Z`);
  const log = closeLog(day);
  const { requested, completed, failed, sale, enrolled } = log;
  enrolled('D-A', at('00:00:00'));
  requested('a-close-1', at('16:59:50'));
  requested('a-close-x', at('16:59:52'));
  enrolled('D-B', at('17:00:00'));
  sale('b-1', at('17:05:00'), 'D-B');
  enrolled('D-A', at('17:10:00'));
  completed('a-close-1', at('17:12:00'), totals(1));
  sale('a-1', at('17:11:00'), 'D-A');
  failed('a-close-x', at('17:20:00'));
  requested('a-close-2', at('17:30:00'));
  completed('a-close-2', at('17:30:05'), totals(0));
  return log;
}

/**
 * The same swap back, two closes of D-A pending at the swap: the later (`old-2`, 17:20) ends, and a thousand sales after
 * let its entry go (past the bound). D-A's sale at 17:11 is heard of late, while D-A's next close (`next-1`) pends,
 * which takes it. Then the earlier (`old-1`, 17:12) is heard of: it takes that sale back from `next-1`
 * (`takenBackAtSwapBack`) and finds its batch taken by `old-2` (`lostBatch`). D-B takes the name again at 20:30 before
 * or after that, when `outAgain` says so; then the device's next close is asked for (`nextId`, 21:00) and finds nothing.
 */
export function lostAfterTakingBack(day: string, nextId: string, outAgain?: 'before' | 'after') {
  const at = (time: string) => Date.parse(`${day}T${time}Z`);
  const log = closeLog(day);
  const { requested, completed, sale, sales, enrolled } = log;
  enrolled('D-A', at('00:00:00'));
  sale('a-0', at('16:30:00'), 'D-A');
  requested('old-1', at('16:59:40'));
  requested('old-2', at('16:59:50'));
  enrolled('D-B', at('17:00:00'));
  sale('b-1', at('17:05:00'), 'D-B');
  enrolled('D-A', at('17:10:00'));
  completed('old-2', at('17:20:00'), totals(0));
  sales('n', at('18:00:00'), 1_000);
  requested('next-1', at('20:00:00'));
  sale('a-1', at('17:11:00'), 'D-A');
  completed('next-1', at('20:00:05'), totals(1_000));
  if (outAgain === 'before') enrolled('D-B', at('20:30:00'));
  completed('old-1', at('17:12:00'), totals(2));
  if (outAgain === 'after') enrolled('D-B', at('20:30:00'));
  requested(nextId, at('21:00:00'));
  completed(nextId, at('21:00:05'), totals(0));
  return log;
}

/**
 * D-A's one old close pending at the swap (A, B, A), D-A's next close (17:30) finding nothing, and D-A's sale at 17:11
 * (sent to `device`, or naming none) heard of last. The old close (17:12) is heard of before the next close is asked
 * for (`oldHeard: 'first'`) or after the next close ended (`'afterNext'`).
 */
export function saleHeardAfterNextClose(day: string, device: string | undefined, oldHeard: 'first' | 'afterNext') {
  const at = (time: string) => Date.parse(`${day}T${time}Z`);
  const log = closeLog(day);
  const { requested, completed, sale, enrolled } = log;
  enrolled('D-A', at('00:00:00'));
  requested('a-close-1', at('16:59:50'));
  enrolled('D-B', at('17:00:00'));
  sale('b-1', at('17:05:00'), 'D-B');
  enrolled('D-A', at('17:10:00'));
  if (oldHeard === 'first') completed('a-close-1', at('17:12:00'), totals(1));
  requested('a-close-2', at('17:30:00'));
  completed('a-close-2', at('17:30:05'), totals(0));
  if (oldHeard === 'afterNext') completed('a-close-1', at('17:12:00'), totals(1));
  sale('a-1', at('17:11:00'), device);
  return log;
}
