import { createHash } from 'node:crypto';
import { addDays, closesNextMorning, localDate } from '@app/payment-domain';
import { hashedUuid } from '@app/platform';

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

/** When a store day's close runs: at `endOfDayTime` that day, or the next morning for a time before noon. */
export function closeTime(businessDay: string, endOfDayTime: string, timeZone: string): number {
  return zonedInstant(closesNextMorning(endOfDayTime) ? addDays(businessDay, 1) : businessDay, endOfDayTime, timeZone);
}

/**
 * The latest store day whose close time has come by `now`: the close that is due (or done). A close missed
 * while the engine was down is still this one when it comes back, until the next day's close time.
 */
export function dueClose(
  timeZone: string,
  endOfDayTime: string,
  now: number,
): { readonly businessDay: string; readonly closeAt: number } {
  const today = localDate(new Date(now).toISOString(), timeZone);
  for (const back of [0, 1, 2]) {
    const businessDay = addDays(today, -back);
    const closeAt = closeTime(businessDay, endOfDayTime, timeZone);
    if (closeAt <= now) return { businessDay, closeAt };
  }
  // Unreachable: the close two days back is always past.
  throw new Error(`no close due for ${timeZone} ${endOfDayTime}`);
}

/**
 * The id of a terminal's nightly close of a day, attempt by attempt: the same on every instance and after a
 * restart, so that the close is recorded (and sent to Dintero, whose Idempotency-Key it is) once. A UUID in
 * form (version 8, RFC 9562's custom one) from a SHA-256 of what it closes.
 */
export function closeOperationId(storeId: string, terminalId: string, businessDay: string, attempt: number): string {
  return hashedUuid('nightly-close', storeId, terminalId, businessDay, String(attempt));
}

/** How long after the store's close time a terminal closes: spread over `spreadMs`, the same every night. */
export function spreadOffsetMs(storeId: string, terminalId: string, spreadMs: number): number {
  if (spreadMs <= 0) return 0;
  const hash = createHash('sha256').update(`${storeId}\n${terminalId}`).digest();
  return hash.readUInt32BE(0) % spreadMs;
}
