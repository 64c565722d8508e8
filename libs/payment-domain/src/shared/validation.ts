import { DomainError } from './domain-error';
import { isCurrencyCode, moneyProblem, type MoneyProblem } from './money';

/** Store and terminal ids become NATS subject tokens (docs/design.md). */
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/** An IANA name's shape (`Area/Location`, `UTC`, `Etc/GMT+5`): never an offset such as `+01:00`. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
const zoneChecks = new Map<string, boolean>();

export function requireToken(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SUBJECT_TOKEN.test(value)) {
    throw new DomainError('VALIDATION_FAILED', `${field} must be 1-64 characters of A-Z a-z 0-9 _ -`, { field });
  }
  return value;
}

export function requireText(value: unknown, field: string, max = 200): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) {
    throw new DomainError('VALIDATION_FAILED', `${field} must be a non-empty string of at most ${max} characters`, {
      field,
    });
  }
  return value;
}

export function requireInstant(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || instantOf(value) === undefined) {
    throw new DomainError('VALIDATION_FAILED', `${field} must be an ISO-8601 UTC instant`, { field });
  }
  return value;
}

/**
 * A time given with its offset (ISO 8601, as Dintero gives them) as the UTC instant it names (`…Z`); undefined when it
 * is not one, or names a date or time that does not exist. `Date.parse` takes `2026-02-30T10:00:00Z` for 2 March and
 * `T24:00` for the next day's midnight: a fact dated so would be booked on a day it never happened. One without its
 * offset would be read in each host's own time zone. Every time read from Dintero goes through here.
 */
export function instantOf(value: unknown): string | undefined {
  const parts = typeof value === 'string' ? ZONED_TIME.exec(value) : null;
  if (parts === null) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts
    .slice(1, 7)
    .map((part) => Number(part ?? 0));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const time = Date.parse(parts[0]);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

const ZONED_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$/;

/**
 * Every zone the runtime can format dates in, canonical or legacy, kept as given. Not
 * `Intl.supportedValuesOf('timeZone')`: on Node 20 it lists only one name per zone, often the legacy one
 * (`Asia/Calcutta`, not `Asia/Kolkata`), and leaves out `Etc/UTC`.
 */
function formatsIn(timeZone: string): boolean {
  let known = zoneChecks.get(timeZone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
      known = true;
    } catch {
      known = false;
    }
    // Bounded: a flood of distinct bad names must not grow this without end.
    if (zoneChecks.size < 10_000) zoneChecks.set(timeZone, known);
  }
  return known;
}

export function requireTimeZone(value: unknown): string {
  if (typeof value !== 'string' || value.length > 64 || !ZONE_NAME.test(value) || !formatsIn(value)) {
    throw new DomainError('VALIDATION_FAILED', `timeZone ${JSON.stringify(value)} is not an IANA time zone`, {
      field: 'timeZone',
    });
  }
  // The runtime takes a zone's name in any case: `europe/oslo` is kept as `Europe/Oslo`, so that the same zone is
  // one name (a change of case is no change of details, and the zone's country is found). Another name of the
  // zone (a legacy link) is kept as given.
  const named = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  return named.toLowerCase() === value.toLowerCase() ? named : value;
}

const MONEY_PROBLEMS: Readonly<
  Record<MoneyProblem, { field: string; message: (amount: unknown, currency: unknown) => string }>
> = {
  AMOUNT_NOT_AN_INTEGER: {
    field: 'amount',
    message: (amount) => `amount must be a whole number of minor units, not ${JSON.stringify(amount)}`,
  },
  AMOUNT_NEGATIVE: { field: 'amount', message: () => 'amount must not be negative' },
  AMOUNT_TOO_LARGE: { field: 'amount', message: () => 'amount is larger than any payment can be' },
  UNKNOWN_CURRENCY: {
    field: 'currency',
    message: (_, currency) => `currency ${JSON.stringify(currency)} is not an ISO 4217 code (upper case, e.g. NOK)`,
  },
};

/** An ISO 4217 code, or the same refusal `requireMoney` gives. */
export function requireCurrency(currency: unknown): string {
  if (isCurrencyCode(currency)) return currency;
  const { field, message } = MONEY_PROBLEMS.UNKNOWN_CURRENCY;
  throw new DomainError('VALIDATION_FAILED', message(0, currency), { field });
}

export function requireMoney(amount: unknown, currency: unknown, { positive }: { positive: boolean }): void {
  const problem = moneyProblem(amount, currency);
  if (problem) {
    const { field, message } = MONEY_PROBLEMS[problem];
    throw new DomainError('VALIDATION_FAILED', message(amount, currency), { field });
  }
  if (positive && amount === 0)
    throw new DomainError('VALIDATION_FAILED', 'amount must be more than 0', { field: 'amount' });
}

/** Instants compare as time, not as strings (fractions of a second may differ in length). */
export function isBefore(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b);
}
