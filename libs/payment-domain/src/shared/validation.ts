import { DomainError } from './domain-error';
import { moneyProblem } from './money';

/** Store and terminal ids become NATS subject tokens (DESIGN.md). */
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const TIME_ZONES = new Set(Intl.supportedValuesOf('timeZone'));

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
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw new DomainError('VALIDATION_FAILED', `${field} must be an ISO-8601 UTC instant`, { field });
  }
  return value;
}

export function requireTimeZone(value: unknown): string {
  // UTC is canonicalised away by some ICU versions' list, so accept it by name.
  if (typeof value !== 'string' || !(TIME_ZONES.has(value) || value === 'UTC')) {
    throw new DomainError('VALIDATION_FAILED', `timeZone ${JSON.stringify(value)} is not an IANA time zone`, {
      field: 'timeZone',
    });
  }
  return value;
}

export function requireMoney(amount: unknown, currency: unknown, { positive }: { positive: boolean }): void {
  const problem = moneyProblem(amount, currency);
  if (problem) throw new DomainError('VALIDATION_FAILED', `Invalid money: ${problem}`, { problem });
  if (positive && amount === 0)
    throw new DomainError('VALIDATION_FAILED', 'Amount must be more than 0', { problem: 'AMOUNT_ZERO' });
}

/** Instants compare as time, not as strings (fractions of a second may differ in length). */
export function isBefore(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b);
}
