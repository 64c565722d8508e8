import { Logger } from '@nestjs/common';
import {
  DinteroRejectedError,
  DinteroUnavailableError,
  type DinteroClient,
  type DinteroTerminalOperation,
} from '@app/dintero';
import { handleCommand, readState, type EventMetadata, type EventStore } from '@app/event-store';
import {
  instantOf,
  operationDecider,
  operationFinished,
  operationStream,
  type EndOfDayBatch,
  type OperationRequestedData,
  type ExistingOperation,
  type OperationCommand,
  type OperationState,
} from '@app/payment-domain';
import { claimTerminal, deviceUnderClaim, recordUnderClaim, releaseClaim } from '../claims/terminal-claims';
import { recordDinteroTerminalStatus } from '../dintero/terminal-status';

const logger = new Logger('TerminalOperations');

/** How long to wait before sending again when Dintero was busy and did not say (`409` without `Retry-After`). */
const DEFAULT_RETRY_AFTER_MS = 5_000;

/** The metadata of an operation's events: who asks, under which correlation id, about which terminal. */
export function operationMetadata(
  operation: Pick<ExistingOperation, 'operationId' | 'storeId' | 'terminalId' | 'businessDay'>,
  correlationId: string,
  extra: Record<string, string> = {},
): EventMetadata {
  const { operationId, storeId, terminalId, businessDay } = operation;
  return {
    correlationId,
    causationId: correlationId,
    occurredAt: new Date().toISOString(),
    operationId,
    storeId,
    terminalId,
    // A nightly close's store day: the read models date its close by it.
    ...(businessDay ? { businessDay } : {}),
    ...extra,
  };
}

/**
 * The operation's claim on its terminal, from `claimedAt` to `expiresAt`: taken, or extended when it holds it already
 * (refused with `TERMINAL_BUSY` while a payment, refund or another operation holds it).
 */
export function claimForOperation(
  store: EventStore,
  operation: Pick<OperationRequestedData, 'operationId' | 'storeId' | 'terminalId' | 'claimId'>,
  claimedAt: string,
  expiresAt: string,
  metadata: EventMetadata,
): Promise<void> {
  const { operationId, storeId, terminalId, claimId } = operation;
  return claimTerminal(
    store,
    { terminalId, claimId, kind: 'operation', paymentId: operationId, storeId, claimedAt, expiresAt },
    metadata,
  );
}

/**
 * Starts an operation: claims its terminal (as a payment does: refused with `TERMINAL_BUSY` while a payment,
 * refund or another operation holds it), records the request, and sends it to Dintero. Each step is safe to
 * repeat with the same request (the claim and the request are the operation's, by its id).
 */
export async function startOperation(
  store: EventStore,
  dintero: DinteroClient,
  request: OperationRequestedData,
  correlationId: string,
): Promise<ExistingOperation> {
  const { operationId, storeId, terminalId, claimId, requestedAt, expiresAt } = request;
  const metadata = operationMetadata(request, correlationId);
  // Ended already (another instance ran it): claiming again would hold the terminal with nothing to free it.
  const { state: recorded } = await readState(store, operationStream(operationId), operationDecider);
  if (recorded.status !== 'none' && operationFinished(recorded)) return recorded;
  await claimForOperation(store, request, requestedAt, expiresAt, metadata);
  const { state } = await recordUnderClaim(store, { terminalId, claimId }, metadata, async () => {
    // The device the name has now that the terminal is held: a device change since the request looked goes first.
    // A close by hand takes a deactivated terminal too: its last batch is closed by no nightly close.
    const dinteroTerminalId = await deviceUnderClaim(store, storeId, terminalId, request.operation === 'end_of_day');
    return record(store, operationId, { type: 'RequestOperation', data: { ...request, dinteroTerminalId } }, metadata);
  });
  // Ended between the look above and the claim (another instance ran it, and released the terminal): the claim
  // just taken again is this run's alone, and nothing else would free the terminal before the claim runs out.
  if (state.status !== 'none' && operationFinished(state)) {
    await releaseOperation(store, state, metadata);
    return state;
  }
  return (await submitOperation(store, dintero, state as ExistingOperation, metadata)) as ExistingOperation;
}

function record(store: EventStore, operationId: string, command: OperationCommand, metadata: EventMetadata) {
  return handleCommand(store, operationStream(operationId), operationDecider, command, { metadata });
}

/**
 * Sends the operation to Dintero (again, with the same `Idempotency-Key`: Dintero runs it once) and records
 * what Dintero answered: dispatched (`PENDING` there), deferred until `Retry-After` (another operation
 * pending on the terminal), or refused (then the terminal is released). With no answer it stays
 * `submitting`, and the operations reconciler sends it again. Returns the operation as recorded.
 */
export async function submitOperation(
  store: EventStore,
  dintero: DinteroClient,
  operation: ExistingOperation,
  metadata: EventMetadata,
): Promise<OperationState> {
  const { operationId } = operation;
  if (operationFinished(operation) || operation.status === 'pending') return operation;
  const at = () => new Date().toISOString();
  await record(store, operationId, { type: 'SubmitOperation', data: { at: at() } }, metadata);
  try {
    const sent = await dintero.sendTerminalOperation({
      terminalId: operation.dinteroTerminalId,
      operation: operation.operation,
      ...(operation.operatorId ? { operatorId: operation.operatorId } : {}),
      idempotencyKey: operationId,
    });
    const { state } = await record(
      store,
      operationId,
      { type: 'RecordOperationDispatched', data: { dinteroOperationId: sent.id, at: at() } },
      metadata,
    );
    // Dintero may answer a repeated key with the operation as it is now: already over.
    return sent.status === 'PENDING' ? state : recordDinteroOutcome(store, sent, state as ExistingOperation, metadata);
  } catch (error) {
    if (error instanceof DinteroRejectedError && error.status === 409) {
      const retryAt = new Date(Date.now() + (error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS)).toISOString();
      return (await record(store, operationId, { type: 'DeferOperation', data: { retryAt, at: at() } }, metadata))
        .state;
    }
    if (error instanceof DinteroRejectedError) {
      // The terminal may have stopped being ACTIVE at Dintero: its status now is recorded for the registry.
      const { storeId, terminalId, dinteroTerminalId } = operation;
      await recordDinteroTerminalStatus(store, dintero, { storeId, terminalId, dinteroTerminalId }, operationId).catch(
        () => undefined,
      );
      const { state } = await record(
        store,
        operationId,
        {
          type: 'RecordOperationOutcome',
          data: { outcome: 'rejected', reason: `Dintero refused it: ${error.code}`, at: at() },
        },
        metadata,
      );
      await releaseOperation(store, state as ExistingOperation, metadata);
      return state;
    }
    if (error instanceof DinteroUnavailableError) {
      logger.warn({ ...metadata, reason: error.message }, 'terminal operation sent, no answer: sent again later');
      return operation.status === 'requested' ? { ...operation, status: 'submitting' } : operation;
    }
    throw error;
  }
}

/**
 * Asks Dintero how a dispatched operation stands and records its end when it has one (releasing the
 * terminal). Returns the operation as recorded.
 */
export async function pollOperation(
  store: EventStore,
  dintero: DinteroClient,
  operation: ExistingOperation,
  metadata: EventMetadata,
): Promise<OperationState> {
  if (operation.status !== 'pending' || operation.dinteroOperationId === undefined) return operation;
  const found = await dintero.getTerminalOperation(operation.dinteroTerminalId, operation.dinteroOperationId);
  if (!found || found.status === 'PENDING') return operation;
  return recordDinteroOutcome(store, found, operation, metadata);
}

async function recordDinteroOutcome(
  store: EventStore,
  found: DinteroTerminalOperation,
  operation: ExistingOperation,
  metadata: EventMetadata,
): Promise<OperationState> {
  const at = new Date().toISOString();
  const updatedAt = instantOf(found.updated_at);
  const dinteroAt = updatedAt === undefined ? {} : { dinteroAt: updatedAt };
  const batch = operation.operation === 'end_of_day' && found.result ? batchOf(found.result) : undefined;
  const unread = [
    ...(found.updated_at !== undefined && updatedAt === undefined ? ['updated_at'] : []),
    ...(batch?.unread ?? []),
  ];
  // Recorded all the same (the terminal did close): a figure left out is named in the batch as unreadable, and the
  // read models show it as unknown, the close as a mismatch.
  if (unread.length > 0)
    logger.warn({ ...metadata, unread }, 'Dintero gave a terminal operation’s time or figures the engine cannot read');
  const refused = closeNotAccepted(operation, found);
  const command: OperationCommand =
    found.status === 'COMPLETED' && refused === undefined
      ? {
          type: 'RecordOperationOutcome',
          data: {
            outcome: 'completed',
            dinteroOperationId: found.id,
            ...(batch ? { batch: batch.batch } : {}),
            at,
            ...dinteroAt,
          },
        }
      : {
          type: 'RecordOperationOutcome',
          data: {
            outcome: found.status === 'TIMEOUT' ? 'timed_out' : 'failed',
            reason:
              refused !== undefined
                ? `the terminal's close was not accepted: ${refused}`
                : found.status === 'TIMEOUT'
                  ? 'the terminal did not answer in time'
                  : 'the terminal reported a failure',
            at,
            ...dinteroAt,
          },
        };
  const { state } = await record(store, operation.operationId, command, metadata);
  await releaseOperation(store, state as ExistingOperation, metadata);
  return state;
}

/** Frees the terminal the operation held: a no-op when it was released already. */
export function releaseOperation(store: EventStore, operation: ExistingOperation, metadata: EventMetadata) {
  return releaseClaim(
    store,
    { terminalId: operation.terminalId, claimId: operation.claimId, reason: 'finished', at: new Date().toISOString() },
    metadata,
  );
}

/**
 * The outcome of an `end_of_day` Dintero reports completed whose batch the terminal says was not accepted (its
 * `result.outcome`, `accepted` when it was): the batch was not closed, so it is recorded as a failed close, which
 * the nightly close tries again and the read models do not take for a close. Absent for any other operation or
 * outcome, and for a result that gives none.
 */
function closeNotAccepted(operation: ExistingOperation, found: DinteroTerminalOperation): string | undefined {
  const outcome = found.result?.outcome;
  if (operation.operation !== 'end_of_day' || found.status !== 'COMPLETED' || typeof outcome !== 'string')
    return undefined;
  return outcome.trim().toLowerCase() === 'accepted' ? undefined : outcome.slice(0, 100);
}

/**
 * The terminal's batch as Dintero reports it, with what the engine cannot read left out and named (`unread`): a figure
 * that is not a whole number (of minor units, for an amount), a text that is not a string, a time that is not one with
 * its offset (kept as a UTC instant, as every time in the log). The read models count the
 * figures and compare them: a figure kept as given (a string, a fraction) would be money that is not an integer, and
 * a document out of its shape.
 */
function batchOf(result: NonNullable<DinteroTerminalOperation['result']>): {
  readonly batch: EndOfDayBatch;
  readonly unread: readonly string[];
} {
  const texts = { batchId: result.batch_id, outcome: result.outcome };
  // The batch's opening dates a first close's window in the read models (`Date.parse`): one without its offset would be
  // read in each host's own time zone, so a rebuild elsewhere would count other facts in it.
  const times = { startOfDayAt: result.start_of_day_at, lastEndOfDayAt: result.last_end_of_day_at };
  const figures = {
    purchasesCount: result.purchases_count,
    purchasesAmount: result.purchases_amount,
    reversalsCount: result.reversals_count,
    reversalsAmount: result.reversals_amount,
    saleAmount: result.sale_amount,
    tipAmount: result.tip_amount,
  };
  const batch: Record<string, unknown> = {};
  const unread: string[] = [];
  for (const [field, value] of [...Object.entries(texts), ...Object.entries(times), ...Object.entries(figures)]) {
    if (value === undefined || value === null) continue;
    const read =
      field in times
        ? instantOf(value)
        : field in texts
          ? textOf(value)
          : Number.isSafeInteger(value)
            ? value
            : undefined;
    if (read !== undefined) batch[field] = read;
    else unread.push(field);
  }
  // Named, so that the read models show such a figure as unknown, where one Dintero did not give compares as none.
  const unreadable = unread.filter((field) => field in figures);
  if (unreadable.length > 0) batch['unreadable'] = unreadable;
  return { batch, unread };
}

const textOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
