/** Stream `operation-{operationId}`: one terminal operation, from the request to Dintero's outcome. */
export const operationStream = (operationId: string): string => `operation-${operationId}`;

/** Dintero's terminal operations: administrative commands to a terminal, never a payment. */
export const TERMINAL_OPERATIONS = ['end_of_day', 'send_logs', 'check_update'] as const;
export type TerminalOperationName = (typeof TERMINAL_OPERATIONS)[number];

/**
 * The terminal's batch as its end-of-day close reports it (Dintero's `result` of a completed `end_of_day`).
 * Amounts in minor units. Every field is as Dintero gives it, and any may be absent: a figure that is not a whole
 * number, or a time without its offset, is left out rather than recorded. Times are UTC instants.
 */
export interface EndOfDayBatch {
  /** The terminal's batch number. */
  readonly batchId?: string;
  /** When the batch opened (the terminal's start of day), a UTC instant. */
  readonly startOfDayAt?: string;
  /** When the terminal's previous close ran, a UTC instant. */
  readonly lastEndOfDayAt?: string;
  /** Purchases in the batch, as the terminal counts them. */
  readonly purchasesCount?: number;
  /** Their sum, in minor units. */
  readonly purchasesAmount?: number;
  /** Reversals (refunds done at the terminal) in the batch, as the terminal counts them. */
  readonly reversalsCount?: number;
  /** Their sum, in minor units. */
  readonly reversalsAmount?: number;
  /** The batch's sale amount, in minor units. */
  readonly saleAmount?: number;
  /** Tips in the batch, in minor units. */
  readonly tipAmount?: number;
  /** The terminal's answer, e.g. `accepted`. */
  readonly outcome?: string;
  /**
   * The figures Dintero gave that the engine could not read (not a whole number), each left out: unknown, where a
   * figure absent without being named here is one Dintero did not give. Absent when every figure given was read, and
   * on events recorded before it was kept.
   */
  readonly unreadable?: readonly BatchFigureName[];
}

/** The figures of a terminal's batch, by name. */
export type BatchFigureName =
  'purchasesCount' | 'purchasesAmount' | 'reversalsCount' | 'reversalsAmount' | 'saleAmount' | 'tipAmount';

export interface OperationRequestedData {
  /** The operation (the engine's id, a UUID): also the `Idempotency-Key` it is sent to Dintero with. */
  readonly operationId: string;
  readonly storeId: string;
  readonly terminalId: string;
  /** The terminal as Dintero names it. */
  readonly dinteroTerminalId: string;
  /** `end_of_day`, `send_logs` or `check_update`. */
  readonly operation: TerminalOperationName;
  /** Who runs it at the terminal, when the POS says (Dintero's `parameters.operator_id`). */
  readonly operatorId?: string;
  /** The terminal's claim: the operation holds the terminal, as a payment does. */
  readonly claimId: string;
  /** A POS client's id, or `nightly-close`. */
  readonly requestedBy: string;
  readonly requestedAt: string;
  /** When the claim on the terminal runs out, whatever became of the operation. */
  readonly expiresAt: string;
  /**
   * For an end-of-day close: the store's business day (YYYY-MM-DD) it closes. A close by hand is dated by the
   * nightly close's rule: the local date it was asked on, or the day before when asked after midnight and before
   * the day before's nightly close (an end of day in the morning, or one the clocks moved past midnight). Absent
   * on closes by hand recorded before it was kept.
   */
  readonly businessDay?: string;
}

type Event<Type extends string, Data> = { readonly type: Type; readonly data: Data };

/**
 * A nightly close given up: the terminal's batch of that store day was not closed by the engine, and no further
 * attempt is made. Recorded once per terminal day, on that day's own stream (`operation-{id}`, the id made from the
 * store, terminal and day whatever the attempt; an earlier version recorded it on the attempt's stream).
 */
export interface CloseGivenUpData {
  /** The attempt given up at, the latest the log had claimed or recorded: its operation, recorded or not. */
  readonly operationId: string;
  readonly storeId: string;
  readonly terminalId: string;
  /** The store day (YYYY-MM-DD) whose close was given up. */
  readonly businessDay: string;
  /**
   * How many attempts were made: the latest recorded, whichever instance made it, so not one claimed and voided (its
   * terminal busy, its start failed or refused), which was never made (1 when the first could not be made at all).
   */
  readonly attempts: number;
  /**
   * Why, in words: the last attempt's end (`the terminal reported a failure`, `Dintero refused it: …`), why it could not
   * start, or that the next day's close fell due first; ending `; found late, at …` when the engine found it only after
   * that (it was down: `missed: no close of … was made …`), `at` then being when it was found.
   */
  readonly reason: string;
  readonly at: string;
}

/**
 * An attempt of a nightly close claimed on its terminal day's stream (`closeDayKey`, the stream its give-up goes on),
 * before the attempt's operation is recorded on its own stream: the claim and the day's give-up are appended there at
 * the revision read, so the log orders them, and the one that lands second sees the first (a claim is refused on a day
 * given up; a give-up, on a day with an attempt claimed that may yet run).
 */
export interface CloseAttemptClaimedData {
  /** The attempt's operation (its stream `operation-{operationId}`): recorded or not yet; voided, never recorded. */
  readonly operationId: string;
  readonly storeId: string;
  readonly terminalId: string;
  /** The store day (YYYY-MM-DD) whose close the attempt is. */
  readonly businessDay: string;
  /** The attempt, from 1. */
  readonly attempt: number;
  /** When the engine recorded it. */
  readonly at: string;
}

/**
 * A claimed attempt of a nightly close that will never be recorded: written on the attempt's own stream, where its
 * request would go, by the give-up of its day before it gives up, when the attempt was claimed and not recorded (the
 * terminal was busy, the start failed or was refused, or the claiming instance stopped). The attempt's stream holding
 * it, its request is refused; the request, had it come first, would have kept the give-up from being made.
 */
export type CloseAttemptVoidedData = CloseAttemptClaimedData;

/** How an operation ended: Dintero's `COMPLETED`, `FAILED` or `TIMEOUT`, or refused or given up here. */
export const OPERATION_ENDS = ['completed', 'failed', 'timed_out', 'rejected', 'expired'] as const;
export type OperationEnd = (typeof OPERATION_ENDS)[number];

export type OperationEvent =
  | Event<'OperationRequested', OperationRequestedData>
  /** A recovery point: the operation is being sent to Dintero now (again, with the same Idempotency-Key). */
  | Event<'OperationSubmitted', { readonly operationId: string; readonly at: string }>
  /** Dintero took it (`PENDING`): the terminal answers in the background. */
  | Event<
      'OperationDispatched',
      {
        readonly operationId: string;
        /** Dintero's id of the operation. */
        readonly dinteroOperationId: string;
        readonly at: string;
      }
    >
  /** Dintero answered `409`: another operation is pending on the terminal; sent again after `retryAt`. */
  | Event<'OperationDeferred', { readonly operationId: string; readonly retryAt: string; readonly at: string }>
  | Event<
      'OperationCompleted',
      {
        readonly operationId: string;
        readonly dinteroOperationId: string;
        /** For `end_of_day`: the terminal's batch. */
        readonly batch?: EndOfDayBatch;
        readonly at: string;
        /** When Dintero says the terminal answered. */
        readonly dinteroAt?: string;
      }
    >
  | Event<
      'OperationEnded',
      {
        readonly operationId: string;
        /** How it ended without completing: `failed`, `timed_out`, `rejected` or `expired`. */
        readonly outcome: Exclude<OperationEnd, 'completed'>;
        /** Why, as a code or in words. */
        readonly reason: string;
        readonly at: string;
        /** When Dintero says the terminal answered (or gave up). */
        readonly dinteroAt?: string;
      }
    >
  | Event<'CloseGivenUp', CloseGivenUpData>
  | Event<'CloseAttemptClaimed', CloseAttemptClaimedData>
  | Event<'CloseAttemptVoided', CloseAttemptVoidedData>;

export type OperationEventType = OperationEvent['type'];
