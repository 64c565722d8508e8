import type { RecordedEvent } from '@app/event-store';
import { closeLog, totals } from './support/close-log';
import { kvFold } from './support/kv-fold';

/**
 * A sale heard of late, of the batch of a close that ended while another pends, reported when the terminal keeps as
 * much as it may with times while closes pend (1,000): the bound, reached with that sale, lets go of the closes that
 * ended meanwhile. The sale is still counted in its close, on that close's store day.
 */
const DAY = '2026-11-24';
const NEXT = '2026-11-25';
/** Weeks after: the store's latest day then leaves DAY and NEXT out of the projector's memory (`DAYS_KEPT`). */
const WEEKS_AFTER = '2026-12-15';
const at = (time: string, date = DAY) => Date.parse(`${date}T${time}Z`);

/**
 * The log folded as the projector folds it (`applyFromLog`, store days out of memory read back from KV), its past days
 * retired from memory before the last `retireBefore` events; the store days KV holds after.
 */
async function folded(log: readonly RecordedEvent[], retireBefore = 0) {
  const { projector, apply, day } = kvFold(log);
  const cut = log.length - retireBefore;
  await apply(log.slice(0, cut));
  if (retireBefore > 0) projector.retirePastDays(log[cut - 1]!.position);
  await apply(log.slice(cut));
  return (date: string) => day('oslo', date)!;
}

describe('a sale heard of late that brings the batch to the bound while closes pend', () => {
  it('is counted in the close that ended meanwhile whose batch held it, on its store day', async () => {
    const { log, requested, completed, sale } = closeLog(DAY);
    requested('night-before', at('00:01'));
    completed('night-before', at('00:05'), totals(0));
    // A close that never ends: the batch keeps the facts' times from now on.
    requested('stuck', at('00:20'));
    sale('a', at('00:25'));
    // hand-1 closed at 00:31 with two sales: 'a', and one at 00:26 the log hears of later.
    requested('hand-1', at('00:30'));
    completed('hand-1', at('00:31'), totals(2));
    sale('b', at('00:35'));
    requested('hand-2', at('00:40'));
    completed('hand-2', at('00:41'), totals(1));
    // The two closes ended meanwhile weigh 6 each: 988 sales bring what the batch keeps to 1,000, the bound.
    for (let i = 0; i < 988; i++) sale(`p-${i}`, at('01:00') + i * 1_000);
    sale('late', at('00:26'));
    const day = (await folded(log))(DAY);
    expect(day.closes?.['hand-1']).toMatchObject({ recorded: totals(2), mismatch: false });
    expect(day.closes?.['hand-1']).not.toHaveProperty('differences');
    expect(day.closes?.['hand-2']).toMatchObject({ recorded: totals(1), mismatch: false });
  });
});

describe('a sale heard of late that brings the batch to the bound, its close on a store day out of memory', () => {
  it('is counted in that close, its store day read back from KV', async () => {
    const { log, requested, completed, sale } = closeLog(DAY);
    requested('night-before', at('23:00'));
    completed('night-before', at('23:30'), totals(0));
    requested('stuck', at('23:40'));
    // hand-1, the next morning, closed a batch of two sales: 'a', and one at 23:50 the night before heard of weeks later.
    sale('a', at('00:25', NEXT));
    requested('hand-1', at('00:30', NEXT), NEXT);
    completed('hand-1', at('00:31', NEXT), totals(2), NEXT);
    sale('b', at('00:35', NEXT));
    requested('hand-2', at('00:40', NEXT), NEXT);
    completed('hand-2', at('00:41', NEXT), totals(1), NEXT);
    for (let i = 0; i < 988; i++) sale(`p-${i}`, at('10:00', WEEKS_AFTER) + i * 1_000);
    sale('late', at('23:50'));
    // The late sale's events alone come after the store's days of November left the projector's memory.
    const day = await folded(log, 2);
    expect(day(NEXT).closes?.['hand-1']).toMatchObject({ recorded: totals(2), mismatch: false });
    expect(day(NEXT).closes?.['hand-1']).not.toHaveProperty('differences');
    expect(day(NEXT).currencies['NOK']).toMatchObject({ capturedCount: 2 });
    expect(day(DAY).currencies['NOK']).toMatchObject({ capturedCount: 1 });
  });
});
