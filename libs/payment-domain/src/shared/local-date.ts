const dateFormats = new Map<string, Intl.DateTimeFormat>();
/** The last answer per time zone, by the instant's UTC minute: a fold meets the same minute many times. */
const lastDates = new Map<string, { readonly minute: string; readonly date: string }>();

/** `yyyy-mm-dd` of an instant in a time zone. */
export function localDate(instant: string, timeZone: string): string {
  // Every zone's offset is a whole number of minutes: instants of one UTC minute share their local date.
  const minute = instant.length >= 17 && instant.endsWith('Z') ? instant.slice(0, 16) : undefined;
  const last = lastDates.get(timeZone);
  if (minute !== undefined && last?.minute === minute) return last.date;
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(timeZone, format);
  }
  const date = format.format(new Date(instant));
  if (minute !== undefined) lastDates.set(timeZone, { minute, date });
  return date;
}

/** The `yyyy-mm-dd` `days` after (or, negative, before) a `yyyy-mm-dd`: calendar days, whatever the time zone. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** `hh:mm` (24-hour) of an instant in a time zone. */
export function localTime(instant: string, timeZone: string): string {
  let format = timeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    timeFormats.set(timeZone, format);
  }
  return format.format(new Date(instant));
}

/** Whether a store whose day ends at `endOfDayTime` closes it the next morning: an end of day before noon. */
export function closesNextMorning(endOfDayTime: string): boolean {
  return Number(endOfDayTime.slice(0, 2)) < 12;
}

/**
 * The store day an end-of-day close made at `instant` closes, by the rule the nightly close follows: the local
 * date, or the day before for a close made before the store's `endOfDayTime` when that falls the next morning.
 * A store whose day ends at 02:00 and closes a terminal by hand at 01:00 closes the day before's trading.
 */
export function storeDayAt(instant: string, timeZone: string, endOfDayTime: string): string {
  const date = localDate(instant, timeZone);
  return closesNextMorning(endOfDayTime) && localTime(instant, timeZone) < endOfDayTime ? addDays(date, -1) : date;
}
