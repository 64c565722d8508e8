import { localDate } from '@app/payment-domain';

/** The UTC offset of `timeZone` at `instant`, in minutes (Intl's `longOffset`, e.g. `GMT+14:00`). */
function offsetMinutes(timeZone: string, instant: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(instant)
    .find((part) => part.type === 'timeZoneName')!.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

/** The latest instant at or before `now` that is 00:00 on the wall clock in `timeZone`. */
export function latestLocalMidnight(timeZone: string, now: number): number {
  const [year, month, day] = localDate(new Date(now).toISOString(), timeZone).split('-').map(Number) as [
    number,
    number,
    number,
  ];
  const utcMidnight = Date.UTC(year, month - 1, day);
  return utcMidnight - offsetMinutes(timeZone, utcMidnight) * 60_000;
}
