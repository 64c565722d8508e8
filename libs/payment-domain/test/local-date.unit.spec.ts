import { localDate, localTime, storeDayAt } from '../src';

describe('store days', () => {
  it('gives an instant’s local date and time of day in a time zone', () => {
    expect(localDate('2026-12-01T23:30:00Z', 'Europe/Oslo')).toBe('2026-12-02');
    expect(localTime('2026-12-01T23:05:00Z', 'Europe/Oslo')).toBe('00:05');
    expect(localTime('2026-12-01T12:59:59Z', 'UTC')).toBe('12:59');
  });

  it('dates a close by the day it closes: the day before, asked before a morning end of day', () => {
    // The store's day ends at 02:00: a close at 01:00 on the 2nd closes the 1st's trading, one at 02:30 the 2nd's.
    expect(storeDayAt('2026-12-02T00:00:00Z', 'Europe/Oslo', '02:00')).toBe('2026-12-01');
    expect(storeDayAt('2026-12-01T23:05:00Z', 'Europe/Oslo', '02:00')).toBe('2026-12-01');
    expect(storeDayAt('2026-12-02T01:30:00Z', 'Europe/Oslo', '02:00')).toBe('2026-12-02');
    expect(storeDayAt('2026-12-02T01:00:00Z', 'Europe/Oslo', '02:00')).toBe('2026-12-02');
    // West of UTC: 21:00 on the 1st in New York is the 2nd in UTC.
    expect(storeDayAt('2026-12-02T02:00:00Z', 'America/New_York', '04:00')).toBe('2026-12-01');
    expect(storeDayAt('2026-12-02T08:00:00Z', 'America/New_York', '04:00')).toBe('2026-12-01');
    expect(storeDayAt('2026-12-02T09:00:00Z', 'America/New_York', '04:00')).toBe('2026-12-02');
  });

  it('dates a close by its local date when the day ends in the afternoon or evening', () => {
    expect(storeDayAt('2026-12-01T22:00:00Z', 'Europe/Oslo', '23:30')).toBe('2026-12-01');
    // After the evening's end of day, before midnight: still that date's trading (payments are dated so).
    expect(storeDayAt('2026-12-01T22:45:00Z', 'Europe/Oslo', '23:30')).toBe('2026-12-01');
    expect(storeDayAt('2026-12-01T23:05:00Z', 'Europe/Oslo', '23:30')).toBe('2026-12-02');
    expect(storeDayAt('2026-12-01T08:00:00Z', 'Europe/Oslo', '12:00')).toBe('2026-12-01');
  });

  it('dates a close by hand the day before while that day’s evening close, its time skipped, has not run', () => {
    // Nuuk's clocks go forward at 23:00 on 28 March 2026 (01:00 UTC): 23:30 that evening does not come, and the
    // nightly close of the 28th runs at 00:30 on the 29th, as the clock read before the change. A close by hand
    // at 00:10 closes the 28th's trading, as the nightly close after it does; one after 00:30, the 29th's.
    expect(storeDayAt('2026-03-29T01:10:00Z', 'America/Nuuk', '23:30')).toBe('2026-03-28');
    expect(storeDayAt('2026-03-29T01:40:00Z', 'America/Nuuk', '23:30')).toBe('2026-03-29');
    expect(storeDayAt('2026-03-29T00:50:00Z', 'America/Nuuk', '23:30')).toBe('2026-03-28');
  });

  it('gives each instant its own local date, one after another, across the clocks’ changes and off the whole hour', () => {
    // Asked in turn, as a fold asks: the last answer is kept by its UTC minute, which every zone's offset is a whole
    // number of. An answer kept by the hour, or by an offset taken once, would date these on the wrong side of midnight.
    const asked: [instant: string, timeZone: string, date: string][] = [
      // Oslo's clocks go back at 03:00 on 25 October 2026: 02:30 comes twice, both on the 25th, a day of 25 hours.
      ['2026-10-25T00:30:00.000Z', 'Europe/Oslo', '2026-10-25'],
      ['2026-10-25T01:30:00.000Z', 'Europe/Oslo', '2026-10-25'],
      ['2026-10-25T22:59:59.999Z', 'Europe/Oslo', '2026-10-25'],
      ['2026-10-25T23:00:00.000Z', 'Europe/Oslo', '2026-10-26'],
      // They go forward at 02:00 on 29 March 2026: midnight is at UTC+1 before, at UTC+2 the night after.
      ['2026-03-28T22:59:59.999Z', 'Europe/Oslo', '2026-03-28'],
      ['2026-03-28T23:00:00.000Z', 'Europe/Oslo', '2026-03-29'],
      ['2026-03-29T21:59:59.999Z', 'Europe/Oslo', '2026-03-29'],
      ['2026-03-29T22:00:00.000Z', 'Europe/Oslo', '2026-03-30'],
      // UTC+05:45 and UTC+05:30: midnight within an hour of UTC's.
      ['2026-12-01T18:14:59.000Z', 'Asia/Kathmandu', '2026-12-01'],
      ['2026-12-01T18:15:00.000Z', 'Asia/Kathmandu', '2026-12-02'],
      ['2026-12-01T18:29:59.000Z', 'Asia/Kolkata', '2026-12-01'],
      ['2026-12-01T18:30:00.000Z', 'Asia/Kolkata', '2026-12-02'],
    ];
    expect(asked.map(([instant, timeZone]) => localDate(instant, timeZone))).toEqual(asked.map(([, , date]) => date));
  });
});
