import {
  daysBefore,
  notItsDay,
  terminalCloseAt,
  terminalDayDue,
  terminalInUse,
  type DueDay,
  type TerminalAtDueDay,
} from '../src/fleet/close-due';
import { closeTime, spreadOffsetMs } from '../src/fleet/close-schedule';
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

describe('the day due at a terminal', () => {
  const spreadMs = 600_000;
  const oslo = { timeZone: ZONE, endOfDayTime: '23:00' };
  const closeAt = closeTime('2026-12-01', '23:00', ZONE);
  const offset = spreadOffsetMs('s', 't', spreadMs);
  const dueAt = (
    now: number,
    storeId = 's',
    terminalId = 't',
    schedule: { timeZone: string; endOfDayTime?: string } = oslo,
  ) => terminalDayDue({ storeId, terminalId, schedule, now, spreadMs });

  it('is the store’s latest day whose close time has come, once the terminal’s spread after it has too', () => {
    expect(terminalCloseAt('s', 't', closeAt, spreadMs)).toBe(closeAt + offset);
    expect(offset).toBeGreaterThan(0);
    // Before the close time: the day before, its own spread long past.
    expect(dueAt(closeAt - 1)).toEqual({ businessDay: '2026-11-30', closeAt: closeTime('2026-11-30', '23:00', ZONE) });
    // Between the close time and the terminal's spread: none (the day before's is not tried again meanwhile).
    expect(dueAt(closeAt)).toBeUndefined();
    expect(dueAt(closeAt + offset - 1)).toBeUndefined();
    expect(dueAt(closeAt + offset)).toEqual({ businessDay: '2026-12-01', closeAt });
    // No spread: at the close time.
    expect(terminalDayDue({ storeId: 's', terminalId: 't', schedule: oslo, now: closeAt, spreadMs: 0 })).toEqual({
      businessDay: '2026-12-01',
      closeAt,
    });
  });

  it('takes 23:30 for a store that says no close time', () => {
    const at2330 = closeTime('2026-12-01', '23:30', ZONE);
    const spread = spreadOffsetMs('s', 't', spreadMs);
    expect(dueAt(at2330 - 1, 's', 't', { timeZone: ZONE })?.businessDay).toBe('2026-11-30');
    expect(dueAt(at2330 + spread - 1, 's', 't', { timeZone: ZONE })).toBeUndefined();
    expect(dueAt(at2330 + spread, 's', 't', { timeZone: ZONE })).toEqual({
      businessDay: '2026-12-01',
      closeAt: at2330,
    });
  });

  it('works each schedule’s day out once for many stores, with the same answers', () => {
    const days = new Map<string, DueDay>();
    const now = closeAt + spreadMs;
    for (const storeId of ['a', 'b', 'c'])
      expect(terminalDayDue({ storeId, terminalId: 't', schedule: oslo, now, spreadMs }, days)).toEqual(
        dueAt(now, storeId),
      );
    expect([...days.keys()]).toEqual([`${ZONE} 23:00`]);
  });
});

describe('the days looked back over, and a terminal in use', () => {
  it('lists the days before the due one back to the first, newest first, each with its next and previous day’s close times', () => {
    const close = (day: string) => closeTime(day, '23:30', ZONE);
    expect(daysBefore('2026-12-04', '2026-12-02', ZONE, '23:30')).toEqual([
      {
        day: '2026-12-03',
        closeAt: close('2026-12-03'),
        nextCloseAt: close('2026-12-04'),
        previousCloseAt: close('2026-12-02'),
      },
      {
        day: '2026-12-02',
        closeAt: close('2026-12-02'),
        nextCloseAt: close('2026-12-03'),
        previousCloseAt: close('2026-12-01'),
      },
    ]);
    expect(daysBefore('2026-12-04', '2026-12-04', ZONE, '23:30')).toEqual([]);
  });

  it('has a terminal in use when not deactivated, and ACTIVE at Dintero if enrolled there', () => {
    const device = (status: 'ACTIVE' | 'INACTIVE' | 'PENDING') => ({
      dinteroTerminalId: 'd',
      deviceSerialNumber: 'SN',
      status,
    });
    expect(terminalInUse({ active: true })).toBe(true);
    expect(terminalInUse({ active: false })).toBe(false);
    expect(terminalInUse({ active: true, dintero: device('ACTIVE') })).toBe(true);
    expect(terminalInUse({ active: true, dintero: device('PENDING') })).toBe(false);
    expect(terminalInUse({ active: false, dintero: device('ACTIVE') })).toBe(false);
  });
});
