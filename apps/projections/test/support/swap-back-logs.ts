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
