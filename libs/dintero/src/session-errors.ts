import type { DinteroErrorKind } from '@app/payment-domain';
import type { DinteroSession } from './dintero.types';
import { instant } from './transaction-events';

const SESSION_ERRORS: ReadonlyMap<string, DinteroErrorKind> = new Map([
  ['CANCELLED', 'cancelled'],
  ['DECLINED', 'authorization'],
  ['FAILED', 'failed'],
  ['PAY_FAILED', 'failed'],
]);

/**
 * Session events that overturn a refusal before them: another try (`INITIATED`), or an outcome Dintero cannot tell
 * (`UNKNOWN`). (`COMPLETED`, whose meaning Dintero does not document, and the notices are not.)
 */
const SESSION_OUTCOMES: ReadonlySet<string> = new Set(['INITIATED', 'UNKNOWN', ...SESSION_ERRORS.keys()]);

/**
 * The error Dintero's session shows without a transaction: cancelled (`cancelled_at`), or its last refusal, try or
 * unknown outcome when that is a `CANCELLED`, `DECLINED`, `FAILED` or `PAY_FAILED` (a refusal followed by
 * another try, or by an outcome Dintero cannot tell, is none). What a callback with `error` would have said, for a
 * reader whose callback never came; nothing when the session shows none.
 */
export function sessionError(session: DinteroSession): DinteroErrorKind | undefined {
  if (session.cancelled_at !== undefined) return 'cancelled';
  // An event without a name (the specification's are all optional) is none of these.
  const last = [...(session.events ?? [])].reverse().find((each) => SESSION_OUTCOMES.has(each.name ?? ''));
  return last && SESSION_ERRORS.get(last.name ?? '');
}

/**
 * When Dintero's session says an error without a transaction happened: its cancel (`cancelled_at`, or its last
 * `CANCELLED` event), or its last `DECLINED` or `FAILED` event for a refusal. Nothing when the session does not say.
 */
export function sessionErrorTime(session: DinteroSession, error: DinteroErrorKind): string | undefined {
  const names = [...SESSION_ERRORS].filter(([, kind]) => kind === error).map(([name]) => name);
  const event = [...(session.events ?? [])].reverse().find((each) => names.includes(each.name ?? ''));
  return instant((error === 'cancelled' ? session.cancelled_at : undefined) ?? event?.created_at);
}
