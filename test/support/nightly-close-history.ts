import { handleCommand, type EventStore } from '@app/event-store';
import { operationDecider, operationStream } from '@app/payment-domain';
import { closeOperationId, closeTime } from '../../apps/ingest-service/src/fleet/close-schedule';

/**
 * A nightly close of `businessDay` (its first attempt), written straight into the log as an earlier version of the
 * engine made it: requested a minute after the store's close time, and a minute later completed, or failed at the
 * terminal (`outcome`). The nightly close at work that night.
 */
export async function closedThatNight(
  log: EventStore,
  close: { storeId: string; terminalId: string; businessDay: string; timeZone?: string; endOfDayTime?: string },
  outcome: 'completed' | 'failed' = 'completed',
): Promise<string> {
  const { storeId, terminalId, businessDay, timeZone = 'Europe/Oslo', endOfDayTime = '23:30' } = close;
  const operationId = closeOperationId(storeId, terminalId, businessDay, 1);
  const requestedAt = closeTime(businessDay, endOfDayTime, timeZone) + 60_000;
  const metadata = { correlationId: 'nightly-close', storeId, terminalId, operationId, businessDay };
  await handleCommand(
    log,
    operationStream(operationId),
    operationDecider,
    {
      type: 'RequestOperation',
      data: {
        operationId,
        storeId,
        terminalId,
        dinteroTerminalId: terminalId,
        operation: 'end_of_day',
        claimId: operationId,
        requestedBy: 'nightly-close',
        requestedAt: new Date(requestedAt).toISOString(),
        expiresAt: new Date(requestedAt + 900_000).toISOString(),
        businessDay,
      },
    },
    { metadata },
  );
  await handleCommand(
    log,
    operationStream(operationId),
    operationDecider,
    {
      type: 'RecordOperationOutcome',
      data: {
        outcome,
        dinteroOperationId: `old-${operationId}`,
        ...(outcome === 'failed' ? { reason: 'the terminal reported a failure' } : {}),
        at: new Date(requestedAt + 60_000).toISOString(),
      },
    },
    { metadata },
  );
  return operationId;
}
