const dateFormats = new Map<string, Intl.DateTimeFormat>();
/** The last answer per time zone, by the instant's UTC minute: a fold meets the same minute many times. */
const lastDates = new Map<string, { readonly minute: string; readonly date: string }>();

/** `yyyy-mm-dd` of an instant in a time zone. */
export function localDate(instant: string, timeZone: string): string {
  // Every zone's offset is a whole number of minutes: instants of one UTC minute share their local date.
  const utc = instant.length >= 17 && instant.endsWith('Z');
  const last = lastDates.get(timeZone);
  // The minute compared where it stands, not cut out: most instants are of the minute before them.
  if (utc && last !== undefined && instant.startsWith(last.minute)) return last.date;
  const minute = utc ? instant.slice(0, 16) : undefined;
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
 * date, or the day before for a close made before the day before's nightly close: the store's `endOfDayTime` when
 * that falls the next morning, or an evening's skipped by the clocks going forward into the next day.
 * A store whose day ends at 02:00 and closes a terminal by hand at 01:00 closes the day before's trading.
 * Compared as instants, as the nightly close's time is: on a night the clocks go back the wall time comes twice and
 * the nightly close runs at its later coming, and on one they go forward a skipped time is an hour later.
 * Compared as wall times, a close by hand between the two was dated the next day, while holding the day before's.
 */
export function storeDayAt(instant: string, timeZone: string, endOfDayTime: string): string {
  const date = localDate(instant, timeZone);
  // The close of the day before: this morning's, or last evening's, which a skipped time may put after midnight (Nuuk's
  // 23:30 on the night its clocks go forward at 23:00 runs at 00:30): before it, that day's trading is still open.
  const previousClose = zonedInstant(
    closesNextMorning(endOfDayTime) ? date : addDays(date, -1),
    endOfDayTime,
    timeZone,
  );
  return Date.parse(instant) < previousClose ? addDays(date, -1) : date;
}

/**
 * The instant a local wall time has in a time zone: a time skipped by a daylight-saving change is taken as it reads
 * on the clock before the change (an hour on, after it), and a time that comes twice as the later. The offsets of a
 * day before and a day after are the two the wall time can have: `Intl`'s offsets are the time-zone database
 * itself, and for this one conversion a date library would add nothing but a dependency. (Two passes from the
 * wall time read as UTC put a skipped time an hour early west of UTC: a close at 23:30 in America/Nuuk ran at
 * 22:30 on the night its clocks go forward, before the day had ended.)
 */
export function zonedInstant(date: string, time: string, timeZone: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const DAY = 86_400_000;
  const candidates = [wall - offsetMs(wall - DAY, timeZone), wall - offsetMs(wall + DAY, timeZone)];
  const onTheClock = candidates.filter((instant) => instant + offsetMs(instant, timeZone) === wall);
  return onTheClock.length > 0 ? Math.max(...onTheClock) : candidates[0]!;
}

/** One formatter per time zone: making one costs far more than using it, and the nightly close asks every tick. */
const wallClocks = new Map<string, Intl.DateTimeFormat>();

function offsetMs(instant: number, timeZone: string): number {
  let wallClock = wallClocks.get(timeZone);
  if (!wallClock) {
    wallClock = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    wallClocks.set(timeZone, wallClock);
  }
  const parts = wallClock.formatToParts(new Date(instant));
  const part = (type: string) => Number(parts.find((each) => each.type === type)?.value);
  const asUtc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}
