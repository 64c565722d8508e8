import { createHash } from 'node:crypto';
import { addDays, closesNextMorning, localDate, zonedInstant } from '@app/payment-domain';
import { hashedUuid } from '@app/platform';

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

/**
 * The id of a terminal's close of a day, whatever its attempt: the stream (`operation-{id}`) its give-up is recorded
 * on, the same on every instance and after a restart, so that the log records one give-up of the day, the first
 * writer's, every other writer's append conflicting with it; and where each attempt is claimed before it is recorded,
 * so that a claim and the give-up are ordered too.
 */
export function closeDayKey(storeId: string, terminalId: string, businessDay: string): string {
  return hashedUuid('nightly-close-day', storeId, terminalId, businessDay);
}
