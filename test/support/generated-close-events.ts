// The events of a terminal's nightly end-of-day close, as the engine writes them: what the projection benchmark
// fills its log with between generated days of payments.
import { randomUUID } from 'node:crypto';
import type { NewEvent } from '@app/event-store';
import { hashedUuid } from '@app/platform';
import { endOfDayRequest } from './end-of-day-request';
import { event } from './payment-events';

/** The batch a terminal reports at its close: its captures (`purchases`) and refunds at the terminal (`reversals`). */
export interface ClosedBatch {
  readonly purchasesCount: number;
  readonly purchasesAmount: number;
  readonly reversalsCount: number;
  readonly reversalsAmount: number;
}

/**
 * One nightly close that completed, in log order, as the nightly close and the ingest write it: the attempt claimed on
 * the terminal day's stream, the terminal claimed, the operation requested, submitted, dispatched and completed with
 * the batch, and the terminal released. Asked for at `requestedAt`; the terminal closed its batch 400 ms later, and
 * the outcome was heard of 100 ms after that.
 */
export function generatedCloseEvents(
  where: { readonly storeId: string; readonly terminalId: string },
  businessDay: string,
  requestedAt: number,
  batch: ClosedBatch,
): { stream: string; events: NewEvent[] }[] {
  const { storeId, terminalId } = where;
  const operationId = randomUUID();
  const ids = { operationId, storeId, terminalId, businessDay };
  const iso = (offsetMs: number) => new Date(requestedAt + offsetMs).toISOString();
  const claim = { terminalId, claimId: operationId, paymentId: operationId, storeId };
  return [
    {
      stream: `operation-${hashedUuid('nightly-close-day', storeId, terminalId, businessDay)}`,
      events: [
        event('CloseAttemptClaimed', { operationId, storeId, terminalId, businessDay, attempt: 1, at: iso(0) }, ids),
      ],
    },
    {
      stream: `terminal-${terminalId}`,
      events: [
        event('TerminalClaimed', { ...claim, kind: 'operation', claimedAt: iso(0), expiresAt: iso(900_000) }, ids),
      ],
    },
    {
      stream: `operation-${operationId}`,
      events: [
        event(
          'OperationRequested',
          {
            ...endOfDayRequest({
              operationId,
              storeId,
              terminalId,
              businessDay,
              requestedBy: 'nightly-close',
              requestedAt,
            }),
          },
          ids,
        ),
        event('OperationSubmitted', { operationId, at: iso(0) }, ids),
        event('OperationDispatched', { operationId, dinteroOperationId: `d-${operationId}`, at: iso(100) }, ids),
      ],
    },
    {
      stream: `operation-${operationId}`,
      events: [
        event(
          'OperationCompleted',
          {
            operationId,
            dinteroOperationId: `d-${operationId}`,
            batch: { batchId: `b-${operationId}`, ...batch },
            at: iso(500),
            dinteroAt: iso(400),
          },
          ids,
        ),
      ],
    },
    {
      stream: `terminal-${terminalId}`,
      events: [event('TerminalReleased', { ...claim, reason: 'finished', at: iso(500) }, ids)],
    },
  ];
}
