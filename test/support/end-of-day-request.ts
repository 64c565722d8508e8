import type { OperationRequestedData } from '@app/payment-domain';

/** An end-of-day close asked for: which, whose, for which day, by whom and when. */
export interface EndOfDayAsked {
  readonly operationId: string;
  readonly storeId: string;
  readonly terminalId: string;
  readonly businessDay: string;
  /** Who asked: `nightly-close` (the nightly close's `CORRELATION_ID`), or a POS for a close by hand. */
  readonly requestedBy: string;
  readonly requestedAt: number;
}

/**
 * An end-of-day close asked for, as the operation decider takes it (`RequestOperation`) and its stream records it
 * (`OperationRequested`): on the terminal Dintero names as the engine does, claiming it under the operation's own id,
 * held `holdMs` (15 minutes unless given).
 */
export function endOfDayRequest(request: EndOfDayAsked & { readonly holdMs?: number }): OperationRequestedData {
  const { operationId, storeId, terminalId, businessDay, requestedBy, requestedAt, holdMs = 900_000 } = request;
  return {
    operationId,
    storeId,
    terminalId,
    dinteroTerminalId: terminalId,
    operation: 'end_of_day',
    claimId: operationId,
    requestedBy,
    requestedAt: new Date(requestedAt).toISOString(),
    expiresAt: new Date(requestedAt + holdMs).toISOString(),
    businessDay,
  };
}
