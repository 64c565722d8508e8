import { instantOf } from '@app/payment-domain';
import type { DinteroTransaction } from './dintero.types';

/** How the transaction facts read one event of a Dintero transaction: whether it went through, and when. */

export type TransactionEvent = NonNullable<DinteroTransaction['events']>[number];

/**
 * Whether an event of the transaction went through. `success` is optional in Dintero's specification: an event
 * that does not say is taken as done unless it carries an error, rather than as refused (a refund made would
 * otherwise be booked as failed).
 */
export const succeeded = (event: TransactionEvent): boolean =>
  event.success === true || (event.success === undefined && event.error === undefined);

/**
 * Dintero's timestamp as the domain's UTC instant, or nothing when it is missing or not a time with its offset that
 * exists (`instantOf`): then the fact is dated by the next time Dintero gives, or by when the engine heard of it.
 */
export const instant = (value: string | undefined): string | undefined => instantOf(value);
