import { addDays, storeDayAt, zonedInstant } from '@app/payment-domain';
import { closeOperationId, closeTime, dueClose, spreadOffsetMs } from '../src/fleet/close-schedule';

describe('the nightly close schedule', () => {
  it('turns a local wall time into its instant, across daylight-saving changes', () => {
    expect(new Date(zonedInstant('2026-12-01', '23:30', 'Europe/Oslo')).toISOString()).toBe('2026-12-01T22:30:00.000Z');
    expect(new Date(zonedInstant('2026-07-01', '23:30', 'Europe/Oslo')).toISOString()).toBe('2026-07-01T21:30:00.000Z');
    expect(new Date(zonedInstant('2026-03-29', '23:30', 'Europe/Oslo')).toISOString()).toBe('2026-03-29T21:30:00.000Z');
    expect(new Date(zonedInstant('2026-12-01', '23:30', 'Pacific/Kiritimati')).toISOString()).toBe(
      '2026-12-01T09:30:00.000Z',
    );
    expect(new Date(zonedInstant('2026-12-01', '00:15', 'America/New_York')).toISOString()).toBe(
      '2026-12-01T05:15:00.000Z',
    );
  });
  it('takes a close time the clocks skip as it reads on the clock before the change, west of UTC too', () => {
    const iso = (instant: number) => new Date(instant).toISOString();
    // Skipped at 02:00 in Oslo: 02:30 is 03:30 summer time.
    expect(iso(zonedInstant('2026-03-29', '02:30', 'Europe/Oslo'))).toBe('2026-03-29T01:30:00.000Z');
    // Greenland's clocks go forward at the end of 28 March: the default close runs at 00:30 on the 29th, after
    // the day, where it ran at 22:30 on the 28th, an hour before the day's end.
    expect(iso(closeTime('2026-03-28', '23:30', 'America/Nuuk'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(closeTime('2026-03-28', '00:30', 'Atlantic/Azores'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(closeTime('2026-03-07', '02:00', 'America/New_York'))).toBe('2026-03-08T07:00:00.000Z');
    // A time that comes twice (the clocks go back): the later, when the day is over either way.
    expect(iso(zonedInstant('2026-10-25', '02:30', 'Europe/Oslo'))).toBe('2026-10-25T01:30:00.000Z');
    expect(iso(zonedInstant('2026-11-01', '01:30', 'America/New_York'))).toBe('2026-11-01T06:30:00.000Z');
  });
  it('dates a close by hand made just before the nightly close as the day the nightly close closes', () => {
    for (const [timeZone, endOfDayTime] of [
      ['Europe/Oslo', '02:00'],
      ['Europe/Oslo', '23:30'],
      ['America/New_York', '04:00'],
      ['Pacific/Kiritimati', '11:59'],
      ['Asia/Tokyo', '12:00'],
    ] as const) {
      const closeAt = closeTime('2026-12-01', endOfDayTime, timeZone);
      const before = new Date(closeAt - 60_000).toISOString();
      expect({ timeZone, endOfDayTime, day: storeDayAt(before, timeZone, endOfDayTime) }).toEqual({
        timeZone,
        endOfDayTime,
        day: '2026-12-01',
      });
    }
  });
  it('dates every close by hand between two nightly closes as the later one, daylight-saving nights included', () => {
    // A year of nights in zones whose clocks go back and forward at different hours, with ends of day that fall
    // in those hours; minutes just after one nightly close and just before the next.
    const zones = ['Europe/Oslo', 'America/New_York', 'America/Nuuk', 'Australia/Sydney', 'America/Santiago'];
    const wrong: string[] = [];
    for (const timeZone of zones)
      for (const endOfDayTime of ['00:00', '00:30', '01:00', '02:00', '02:30', '03:00', '11:59'])
        for (let day = '2026-01-01'; day < '2027-01-01'; day = addDays(day, 1)) {
          const previous = closeTime(addDays(day, -1), endOfDayTime, timeZone);
          const next = closeTime(day, endOfDayTime, timeZone);
          for (const at of [previous + 60_000, previous + 3_660_000, next - 3_660_000, next - 60_000]) {
            const dated = storeDayAt(new Date(at).toISOString(), timeZone, endOfDayTime);
            if (dated !== day) wrong.push(`${timeZone} ${endOfDayTime} ${new Date(at).toISOString()}: ${dated}`);
          }
        }
    expect(wrong).toEqual([]);
  });
  it('runs a close before noon on the next morning', () =>
    expect(new Date(closeTime('2026-12-01', '02:00', 'Europe/Oslo')).toISOString()).toBe('2026-12-02T01:00:00.000Z'));
  it('gives the latest day whose close has come, whatever the hour the engine looks', () => {
    const at = (iso: string) => Date.parse(iso);
    expect(dueClose('Europe/Oslo', '23:30', at('2026-12-01T22:29:00Z')).businessDay).toBe('2026-11-30');
    expect(dueClose('Europe/Oslo', '23:30', at('2026-12-01T22:30:00Z'))).toEqual({
      businessDay: '2026-12-01',
      closeAt: at('2026-12-01T22:30:00Z'),
    });
    // Down over the night, back in the morning: yesterday's close is still the one due.
    expect(dueClose('Europe/Oslo', '23:30', at('2026-12-02T07:00:00Z')).businessDay).toBe('2026-12-01');
    expect(dueClose('Europe/Oslo', '02:00', at('2026-12-02T00:59:00Z')).businessDay).toBe('2026-11-30');
    expect(dueClose('Europe/Oslo', '02:00', at('2026-12-02T01:00:00Z')).businessDay).toBe('2026-12-01');
  });
  it('names a close the same way every time, a UUID, another for another attempt', () => {
    const first = closeOperationId('oslo', 'till-1', '2026-12-01', 1);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(closeOperationId('oslo', 'till-1', '2026-12-01', 1)).toBe(first);
    expect(closeOperationId('oslo', 'till-1', '2026-12-01', 2)).not.toBe(first);
    expect(closeOperationId('oslo', 'till-2', '2026-12-01', 1)).not.toBe(first);
  });
  it('spreads terminals over the spread, the same each night', () => {
    const offsets = ['t1', 't2', 't3', 't4'].map((terminal) => spreadOffsetMs('oslo', terminal, 600_000));
    expect(offsets.every((offset) => offset >= 0 && offset < 600_000)).toBe(true);
    expect(new Set(offsets).size).toBe(4);
    expect(spreadOffsetMs('oslo', 't1', 600_000)).toBe(offsets[0]);
    expect(spreadOffsetMs('oslo', 't1', 0)).toBe(0);
  });
});
