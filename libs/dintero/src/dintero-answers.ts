/**
 * What an answer of Dintero's says: its body read (or found to tell nothing, an outcome unknown), an error answer
 * turned into `DinteroRejectedError` or `DinteroUnavailableError` without credentials, and its `retry-after`.
 */
import { DinteroRejectedError, DinteroUnavailableError } from './dintero.errors';

/** A successful answer's JSON body; one that is not JSON tells nothing of what was done: the outcome is unknown. */
export function jsonOrNothing(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function parseAnswer<T>(text: string, method: string, pathname: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new DinteroUnavailableError(`Dintero's answer to ${method} ${pathname} is not JSON`, undefined, {
      cause: error,
    });
  }
}

/**
 * An error answer as the engine keeps it: Dintero's `error.code`, `error.message` and `error.errors[].message`,
 * cut short and without credentials. Its messages reach logs, the event log (an outcome's reason) and the answer to
 * the caller, and an answer that echoes the request (a proxy's error page, a debugging upstream) would carry the
 * bearer token or the client's secret with it: a body that is not Dintero's error format is not kept at all.
 */
export function errorFrom(
  status: number,
  text: string,
  method: string,
  pathname: string,
  retryAfterMs?: number,
): Error {
  let code = `HTTP_${status}`;
  let message = `HTTP ${status}, with a body that is not Dintero's error format`;
  let errors: unknown[] = [];
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; errors?: unknown } };
    if (typeof body?.error?.code === 'string') code = withoutCredentials(body.error.code).slice(0, 100);
    if (typeof body?.error?.message === 'string') message = withoutCredentials(body.error.message).slice(0, 500);
    if (Array.isArray(body?.error?.errors))
      errors = body.error.errors.slice(0, 20).map((each: unknown) => {
        const text = (each as { message?: unknown } | null)?.message;
        return { message: typeof text === 'string' ? withoutCredentials(text).slice(0, 500) : 'not given' };
      });
  } catch {
    // Not Dintero's JSON error body (a proxy's page, say): the status alone.
  }
  if (status >= 400 && status < 500 && status !== 429) {
    return new DinteroRejectedError(status, code, message, errors, retryAfterMs);
  }
  return new DinteroUnavailableError(`Dintero answered ${status} ${code} to ${method} ${pathname}: ${message}`, status);
}

/** The text with what follows `Bearer`, `Basic`, a token or a secret's name taken out. */
export function withoutCredentials(text: string): string {
  return text
    .replace(/\b(bearer|basic)(\s+|=|%20|\+)[A-Za-z0-9._~+/=%-]+/gi, '$1 [redacted]')
    .replace(
      /\b(authorization|access_token|client_secret|password|secret|token)("?\s*[:=]\s*"?)[^\s",;&}]+/gi,
      '$1$2[redacted]',
    );
}

export function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(date - Date.now(), 0);
}

/**
 * A list Dintero answered, or `DinteroUnavailableError` for an answer that holds none: a shape this client does not
 * know tells nothing of what Dintero has, and is an outcome to find out again, not a `TypeError` in the caller.
 */
export function listed<T>(answer: T[] | undefined, call: string): T[] {
  if (!Array.isArray(answer)) throw new DinteroUnavailableError(`Dintero's answer to ${call} holds no list`);
  return answer;
}
