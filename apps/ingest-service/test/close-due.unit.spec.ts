import { notItsDay, type TerminalAtDueDay } from '../src/fleet/close-due';
import { closeTime } from '../src/fleet/close-schedule';
import { TerminalUsePeriods } from '../src/fleet/terminal-use-periods';

const ZONE = 'Europe/Oslo';
const T = 's.t';
const at = (iso: string) => Date.parse(iso);

/** The terminal as the nightly close knows it at a day's close time, from its periods in use. */
function terminalAt(use: TerminalUsePeriods, closeAt: number, more: Partial<TerminalAtDueDay> = {}): TerminalAtDueDay {
  return {
    inUse: true,
    registeredAt: at('2026-11-01T12:00:00Z'),
    inUseAtCloseTime: use.at(T, closeAt) !== undefined,
    tried: false,
    toGiveUp: false,
    ...more,
  };
}

describe('whose store day a terminal’s is', () => {
  // A store closing at 23:00 in Oslo (22:00 UTC in December).
  const closeOf = (day: string) => closeTime(day, '23:00', ZONE);

  it('has a terminal put in use at 23:30, after a 23:00 close time, close the next day, at the next close time', () => {
    const use = new TerminalUsePeriods();
    // Enrolled long ago, `ACTIVE` at Dintero recorded (and asked) at 23:30 on 1 December.
    use.began(T, at('2026-12-01T22:30:00Z'));
    expect(notItsDay(closeOf('2026-12-01'), terminalAt(use, closeOf('2026-12-01')))).toBe('not_in_use_at_close_time');
    expect(notItsDay(closeOf('2026-12-02'), terminalAt(use, closeOf('2026-12-02')))).toBeUndefined();
  });

  it('has the day of a terminal whose status was asked before the close time and recorded after it', () => {
    const use = new TerminalUsePeriods();
    // Asked at 22:59, answered and recorded after 23:00: dated when asked, the period in use covers the close time.
    use.began(T, at('2026-12-01T21:59:00Z'));
    expect(notItsDay(closeOf('2026-12-01'), terminalAt(use, closeOf('2026-12-01')))).toBeUndefined();
  });

  it('has no day of a terminal registered after its close time, nor of one out of use now, unless a close to give up was tried', () => {
    const use = new TerminalUsePeriods();
    use.began(T, at('2026-11-01T12:00:00Z'));
    const closeAt = closeOf('2026-12-01');
    expect(notItsDay(closeAt, terminalAt(use, closeAt, { registeredAt: closeAt + 1 }))).toBe(
      'registered_after_close_time',
    );
    expect(notItsDay(closeAt, terminalAt(use, closeAt, { inUse: false }))).toBe('out_of_use');
    expect(notItsDay(closeAt, terminalAt(use, closeAt, { inUse: false, tried: true }))).toBe('out_of_use');
    expect(notItsDay(closeAt, terminalAt(use, closeAt, { inUse: false, tried: true, toGiveUp: true }))).toBeUndefined();
  });

  it('has the day of a terminal out of use for a while after the close time, and of one whose close was tried', () => {
    const use = new TerminalUsePeriods();
    use.began(T, at('2026-11-01T12:00:00Z'));
    use.ended(T, at('2026-12-01T22:10:00Z'));
    use.began(T, at('2026-12-01T22:20:00Z'));
    const closeAt = closeOf('2026-12-01');
    expect(notItsDay(closeAt, terminalAt(use, closeAt))).toBeUndefined();
    // Out of use from before the close time (a status asked then, recorded after the attempt): the attempt settles it.
    const before = new TerminalUsePeriods();
    before.began(T, at('2026-11-01T12:00:00Z'));
    before.ended(T, closeAt - 60_000);
    expect(notItsDay(closeAt, terminalAt(before, closeAt))).toBe('not_in_use_at_close_time');
    expect(notItsDay(closeAt, terminalAt(before, closeAt, { tried: true }))).toBeUndefined();
  });
});
