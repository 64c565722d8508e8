import { closeLog, totals } from './support/close-log';

/**
 * A close of D-A let go of beyond the 50 kept pending loses its device. D-A swapped out and back (A, B, A) while it
 * pends, each device's closes after: a close that says a known figure says its own batch's, never one moved by the
 * let-go close (its own is said unknown where it may be).
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('a close of the old device let go of past the 50 kept pending, the device swapped out and back', () => {
  it.each([
    ['dated before the first swap', '16:59:58', 1, 2],
    ['dated while D-B had the name', '17:06:00', 1, 2],
    ['dated after D-A came back', '17:12:00', 2, 1],
  ])('%s: each close is its batch’s figure or unknown', (_, letGoAt, inLetGo, inNext) => {
    const log = closeLog(DAY);
    const { requested, completed, failed, sale, enrolled } = log;
    enrolled('D-A', at('00:00:00'));
    sale('a-0', at('10:00:00'), 'D-A');
    requested('let-go', at('16:00:00'));
    for (let i = 0; i < 50; i++) requested(`stuck-${i}`, at('16:00:00'));
    enrolled('D-B', at('17:00:00'));
    sale('b-1', at('17:05:00'), 'D-B');
    enrolled('D-A', at('17:10:00'));
    sale('a-1', at('17:11:00'), 'D-A');
    sale('a-2', at('17:15:00'));
    for (let i = 0; i < 50; i++) failed(`stuck-${i}`, at('17:16:00'));
    requested('a-next', at('17:20:00'));
    completed('a-next', at('17:20:05'), totals(inNext));
    enrolled('D-B', at('17:30:00'));
    requested('b-next', at('17:40:00'));
    completed('b-next', at('17:40:05'), totals(0));
    completed('let-go', at(letGoAt), totals(inLetGo));
    const { close } = log.foldedDay();
    const seen = (id: string) => {
      const doc = close(id);
      return doc?.recordedUnknown ? 'unknown' : doc?.recorded;
    };
    expect([totals(inLetGo), 'unknown']).toContainEqual(seen('let-go'));
    expect([totals(inNext), 'unknown']).toContainEqual(seen('a-next'));
    expect(seen('b-next')).toEqual(totals(0));
  });
});
