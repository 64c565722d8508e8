import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { isBefore, requireInstant, requireText, requireToken } from '../shared/validation';
import {
  OPERATION_ENDS,
  TERMINAL_OPERATIONS,
  type BatchFigureName,
  type CloseAttemptClaimedData,
  type CloseAttemptVoidedData,
  type CloseGivenUpData,
  type EndOfDayBatch,
  type OperationEnd,
  type OperationEvent,
  type OperationRequestedData,
} from './operation.events';

/**
 * `requested`: recorded, not yet sent; `submitting`: being sent (the outcome of the sending not known yet);
 * `deferred`: Dintero was busy, sent again after `retryAt`; `pending`: Dintero took it; then how it ended.
 */
export const OPEN_OPERATION_STATUSES = ['requested', 'submitting', 'deferred', 'pending'] as const;
export const OPERATION_STATUSES = [...OPEN_OPERATION_STATUSES, ...OPERATION_ENDS] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** A nightly close given up at this attempt: its reason, and when. */
export type CloseGiveUp = Pick<CloseGivenUpData, 'reason' | 'at'>;

export type OperationState =
  /**
   * No request recorded. On a nightly close's terminal day stream (`closeDayKey`): `givenUp` when the day was given up,
   * `claimed` the attempts claimed there. On an attempt's stream: `givenUp` when an earlier version gave up at this
   * attempt before it could be recorded, `voided` when a give-up voided its claim (neither is ever recorded after).
   */
  | {
      readonly status: 'none';
      readonly givenUp?: CloseGiveUp;
      readonly claimed?: readonly number[];
      readonly voided?: boolean;
    }
  | (OperationRequestedData & {
      readonly status: OperationStatus;
      readonly dinteroOperationId?: string;
      readonly retryAt?: string;
      readonly batch?: EndOfDayBatch;
      readonly reason?: string;
      readonly endedAt?: string;
      readonly givenUp?: CloseGiveUp;
    });

export type ExistingOperation = Exclude<OperationState, { status: 'none' }>;

/** Under way: not yet sent, being sent, deferred or pending at Dintero. */
export const operationOpen = (status: string): boolean =>
  (OPEN_OPERATION_STATUSES as readonly string[]).includes(status);

export const operationFinished = (state: OperationState): boolean =>
  state.status !== 'none' && !operationOpen(state.status);

type Command<Type extends string, Data> = { readonly type: Type; readonly data: Data };

export type OperationCommand =
  | Command<'RequestOperation', OperationRequestedData>
  | Command<'SubmitOperation', { readonly at: string }>
  | Command<'RecordOperationDispatched', { readonly dinteroOperationId: string; readonly at: string }>
  | Command<'DeferOperation', { readonly retryAt: string; readonly at: string }>
  | Command<
      'RecordOperationOutcome',
      {
        readonly outcome: OperationEnd;
        readonly dinteroOperationId?: string;
        readonly batch?: EndOfDayBatch;
        readonly reason?: string;
        readonly at: string;
        readonly dinteroAt?: string;
      }
    >
  | Command<'GiveUpClose', GiveUpCloseData>
  | Command<'ClaimCloseAttempt', CloseAttemptClaimedData>
  | Command<'VoidCloseAttempt', CloseAttemptVoidedData>;

/**
 * A give-up, with the attempts its caller found settled: each claimed attempt it read ended without closing, or
 * voided. Any other attempt claimed on the day's stream (one claimed since it looked, or one it found under way) may
 * yet run, and the give-up is refused.
 */
export type GiveUpCloseData = CloseGivenUpData & { readonly settledAttempts?: readonly number[] };

const initialState: OperationState = { status: 'none' };

function existing(state: OperationState): ExistingOperation {
  if (state.status === 'none') throw new DomainError('UNKNOWN_OPERATION', 'No such operation');
  return state;
}

function request(data: OperationRequestedData, state: OperationState): OperationEvent[] {
  // Given up at this attempt before it was recorded (by another instance, whose give-up came between this one's
  // look and its request; or voided by the day's give-up, after this one claimed it): no attempt after a give-up.
  if (state.status === 'none' && (state.givenUp || state.voided))
    throw new DomainError('VALIDATION_FAILED', `Close ${data.operationId} was given up: not to request`, {
      operationId: data.operationId,
      // Voided by its day's give-up: the day is given up (or its give-up is still to land), no attempt failed.
      ...(state.voided ? { voided: true } : {}),
    });
  if (state.status !== 'none') {
    const same =
      state.operation === data.operation && state.terminalId === data.terminalId && state.storeId === data.storeId;
    if (same) return [];
    throw new DomainError('VALIDATION_FAILED', `Operation ${data.operationId} exists with other details`, {
      operationId: data.operationId,
    });
  }
  requireText(data.operationId, 'operationId', 100);
  requireToken(data.storeId, 'storeId');
  requireToken(data.terminalId, 'terminalId');
  requireText(data.dinteroTerminalId, 'dinteroTerminalId', 255);
  if (!(TERMINAL_OPERATIONS as readonly string[]).includes(data.operation))
    throw new DomainError('VALIDATION_FAILED', `Unknown operation ${String(data.operation)}`, { field: 'operation' });
  if (data.operatorId !== undefined) requireText(data.operatorId, 'operatorId', 100);
  requireText(data.claimId, 'claimId', 100);
  requireText(data.requestedBy, 'requestedBy', 100);
  if (!isBefore(requireInstant(data.requestedAt, 'requestedAt'), requireInstant(data.expiresAt, 'expiresAt')))
    throw new DomainError('VALIDATION_FAILED', 'expiresAt must be after requestedAt', { field: 'expiresAt' });
  if (data.businessDay !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(data.businessDay))
    throw new DomainError('VALIDATION_FAILED', 'businessDay must be YYYY-MM-DD', { field: 'businessDay' });
  return [{ type: 'OperationRequested', data }];
}

/**
 * The nightly close gives up at this attempt: once (a second give-up, from a restart or another instance, records
 * nothing), and never of an attempt still under way or one that closed the terminal's batch.
 */
function giveUpClose(command: GiveUpCloseData, state: OperationState): OperationEvent[] {
  const { settledAttempts = [], ...data } = command;
  if (state.givenUp) return [];
  const unsettled = (state.status === 'none' ? (state.claimed ?? []) : []).filter(
    (attempt) => !settledAttempts.includes(attempt),
  );
  if (unsettled.length > 0)
    throw new DomainError(
      'VALIDATION_FAILED',
      `The close of ${data.businessDay} has attempt ${unsettled.join(', ')} claimed, which may yet run: not to give up`,
      { operationId: data.operationId, claimedAttempts: unsettled },
    );
  if (state.status !== 'none') {
    if (state.operation !== 'end_of_day' || state.storeId !== data.storeId || state.terminalId !== data.terminalId)
      throw new DomainError('VALIDATION_FAILED', `Operation ${data.operationId} is no close of that terminal`, {
        operationId: data.operationId,
      });
    if (!operationFinished(state) || state.status === 'completed')
      throw new DomainError('VALIDATION_FAILED', `Close ${data.operationId} is ${state.status}: not to give up`, {
        operationId: data.operationId,
      });
  }
  requireCloseDay(data);
  requireAttempt(data.attempts, 'attempts');
  const reason = requireText(data.reason, 'reason', 500);
  const at = requireInstant(data.at, 'at');
  return [{ type: 'CloseGivenUp', data: { ...data, reason, at } }];
}

/**
 * An attempt of the nightly close claimed on its terminal day's stream, before its operation is recorded: once (again,
 * after a busy terminal or a failed start, it records nothing), and never on a day given up.
 */
function claimCloseAttempt(data: CloseAttemptClaimedData, state: OperationState): OperationEvent[] {
  if (state.givenUp)
    throw new DomainError('VALIDATION_FAILED', `The close of ${data.businessDay} was given up: no attempt to claim`, {
      operationId: data.operationId,
      givenUp: true,
    });
  if (state.status !== 'none')
    throw new DomainError('VALIDATION_FAILED', `Operation ${state.operationId} is no terminal day of a close`, {
      operationId: state.operationId,
    });
  if (state.claimed?.includes(data.attempt)) return [];
  requireCloseDay(data);
  requireAttempt(data.attempt, 'attempt');
  return [{ type: 'CloseAttemptClaimed', data: { ...data, at: requireInstant(data.at, 'at') } }];
}

/**
 * A claimed attempt voided on its own stream, so that it is never recorded: nothing when it was recorded first (it
 * runs, or ran: the give-up that asked sees it so), or was voided or given up already.
 */
function voidCloseAttempt(data: CloseAttemptVoidedData, state: OperationState): OperationEvent[] {
  if (state.status !== 'none' || state.voided || state.givenUp) return [];
  requireCloseDay(data);
  requireAttempt(data.attempt, 'attempt');
  return [{ type: 'CloseAttemptVoided', data: { ...data, at: requireInstant(data.at, 'at') } }];
}

function requireCloseDay(data: Pick<CloseGivenUpData, 'operationId' | 'storeId' | 'terminalId' | 'businessDay'>) {
  requireText(data.operationId, 'operationId', 100);
  requireToken(data.storeId, 'storeId');
  requireToken(data.terminalId, 'terminalId');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(data.businessDay))
    throw new DomainError('VALIDATION_FAILED', 'businessDay must be YYYY-MM-DD', { field: 'businessDay' });
}

/**
 * A close's batch as the read models count it: each figure Dintero gave a whole number, in minor units for amounts,
 * and each time a UTC instant (its opening dates a first close's window; one without its offset is read in each
 * host's own zone).
 */
function requireBatchFigures(batch: EndOfDayBatch) {
  for (const field of BATCH_FIGURES) {
    const figure = batch[field];
    if (figure !== undefined && !Number.isSafeInteger(figure))
      throw new DomainError('VALIDATION_FAILED', `batch.${field} must be a whole number`, { field: `batch.${field}` });
  }
  for (const field of ['startOfDayAt', 'lastEndOfDayAt'] as const)
    if (batch[field] !== undefined) requireInstant(batch[field], `batch.${field}`);
  // A figure named unreadable is unknown: the read models show it so, never as the figure given beside it, nor as 0.
  const { unreadable } = batch;
  const leftOut = (field: unknown) => BATCH_FIGURES.some((figure) => figure === field && batch[figure] === undefined);
  if (unreadable !== undefined && (!Array.isArray(unreadable) || !unreadable.every(leftOut)))
    throw new DomainError('VALIDATION_FAILED', 'batch.unreadable must name figures the batch leaves out', {
      field: 'batch.unreadable',
    });
}

const BATCH_FIGURES: readonly BatchFigureName[] = [
  'purchasesCount',
  'purchasesAmount',
  'reversalsCount',
  'reversalsAmount',
  'saleAmount',
  'tipAmount',
];

function requireAttempt(attempt: number, field: string) {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new DomainError('VALIDATION_FAILED', `${field} must be a whole number from 1`, { field });
}

function decide(command: OperationCommand, state: OperationState): OperationEvent[] {
  if (command.type === 'RequestOperation') return request(command.data, state);
  if (command.type === 'GiveUpClose') return giveUpClose(command.data, state);
  if (command.type === 'ClaimCloseAttempt') return claimCloseAttempt(command.data, state);
  if (command.type === 'VoidCloseAttempt') return voidCloseAttempt(command.data, state);
  const operation = existing(state);
  const { operationId } = operation;
  const at = requireInstant(command.data.at, 'at');
  // Whatever arrives after the operation ended changes nothing: the first outcome stands.
  if (operationFinished(operation)) return [];
  switch (command.type) {
    case 'SubmitOperation':
      // Sending again after an unknown outcome is safe: Dintero runs one operation per Idempotency-Key.
      return operation.status === 'pending' ? [] : [{ type: 'OperationSubmitted', data: { operationId, at } }];
    case 'RecordOperationDispatched': {
      const dinteroOperationId = requireText(command.data.dinteroOperationId, 'dinteroOperationId', 100);
      if (operation.status === 'pending' && operation.dinteroOperationId === dinteroOperationId) return [];
      return [{ type: 'OperationDispatched', data: { operationId, dinteroOperationId, at } }];
    }
    case 'DeferOperation':
      // Dintero took it already (a send of another instance, answered first): a busy answer to a later send of
      // the same Idempotency-Key does not make it deferred again.
      if (operation.status === 'pending') return [];
      return [
        {
          type: 'OperationDeferred',
          data: { operationId, retryAt: requireInstant(command.data.retryAt, 'retryAt'), at },
        },
      ];
    case 'RecordOperationOutcome': {
      const { outcome, batch, reason, dinteroAt } = command.data;
      // The read models date the close by it and count its batch's figures: a time that is not one, or a figure that is
      // not whole minor units, would stop their fold or be kept as money that is not an integer.
      const dintero = dinteroAt === undefined ? {} : { dinteroAt: requireInstant(dinteroAt, 'dinteroAt') };
      if (batch) requireBatchFigures(batch);
      if (outcome === 'completed') {
        const dinteroOperationId = command.data.dinteroOperationId ?? operation.dinteroOperationId;
        if (dinteroOperationId === undefined)
          throw new DomainError('VALIDATION_FAILED', 'A completed operation names Dintero’s operation');
        return [
          {
            type: 'OperationCompleted',
            data: { operationId, dinteroOperationId, ...(batch ? { batch } : {}), at, ...dintero },
          },
        ];
      }
      return [
        {
          type: 'OperationEnded',
          data: { operationId, outcome, reason: requireText(reason ?? outcome, 'reason', 500), at, ...dintero },
        },
      ];
    }
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION_FAILED', `Unknown operation command ${JSON.stringify(unknown)}`);
    }
  }
}

function evolve(state: OperationState, event: OperationEvent): OperationState {
  if (event.type === 'OperationRequested') return { ...event.data, status: 'requested' };
  if (event.type === 'CloseGivenUp') return { ...state, givenUp: { reason: event.data.reason, at: event.data.at } };
  // A claim or a void is never on a stream with a request: a request refuses a voided stream, and a day's holds none.
  if (event.type === 'CloseAttemptClaimed')
    return state.status === 'none' ? { ...state, claimed: [...(state.claimed ?? []), event.data.attempt] } : state;
  if (event.type === 'CloseAttemptVoided') return state.status === 'none' ? { ...state, voided: true } : state;
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'OperationSubmitted':
      return { ...state, status: 'submitting' };
    case 'OperationDispatched':
      return { ...state, status: 'pending', dinteroOperationId: event.data.dinteroOperationId };
    case 'OperationDeferred':
      return { ...state, status: 'deferred', retryAt: event.data.retryAt };
    case 'OperationCompleted':
      return {
        ...state,
        status: 'completed',
        dinteroOperationId: event.data.dinteroOperationId,
        ...(event.data.batch ? { batch: event.data.batch } : {}),
        endedAt: event.data.at,
      };
    case 'OperationEnded':
      return { ...state, status: event.data.outcome, reason: event.data.reason, endedAt: event.data.at };
  }
}

export const operationDecider: Decider<OperationCommand, OperationEvent, OperationState> = {
  initialState,
  decide,
  evolve,
};
