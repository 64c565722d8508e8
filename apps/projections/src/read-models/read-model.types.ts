/** The documents kept in NATS KV (docs/design.md, NATS contract); each names the log position it reflects. */

/**
 * What the terminal is doing. `deactivated`: taken out of use in the registry (it takes no payments until
 * reactivated). Documents written before this name was used say `offline`; a projector reads them as
 * `deactivated`.
 */
export type TerminalStatus =
  'idle' | 'starting' | 'awaiting_card' | 'cancelling' | 'refunding' | 'operating' | 'deactivated';

export interface Outcome {
  readonly paymentId: string;
  /** How it ended: captured, declined, failed, cancelled, expired, rejected (Dintero refused the session) or voided. */
  readonly status: string;
  readonly amount: number;
  readonly currency: string;
  /** When it happened: Dintero's time of the transaction's event when it gives one, else when the engine recorded it. */
  readonly at: string;
}

/** A refund's end, on the terminal it ran on. */
export interface RefundOutcome {
  readonly paymentId: string;
  readonly refundId: string;
  readonly status: 'refunded' | 'refund_failed';
  readonly amount: number;
  readonly currency: string;
  /** When it happened: Dintero's time of the refund when it gives one, else when the engine recorded it. */
  readonly at: string;
}

/** A terminal batch's figures, amounts in minor units: what the terminal reports, or what the log recorded. */
export interface BatchFigures {
  /** Purchases: captures (the terminal's count, or the log's). */
  readonly purchasesCount: number;
  /** Their sum, in minor units. */
  readonly purchasesAmount: number;
  /** Reversals: refunds done at the terminal. */
  readonly reversalsCount: number;
  /** Their sum, in minor units. */
  readonly reversalsAmount: number;
}

/**
 * A terminal batch's figures as the terminal reports them, amounts in minor units. One Dintero gave that the engine
 * could not read is absent, and named in the close's `unknown`: it is not known, not 0.
 */
export interface TerminalFigures {
  /** Purchases: captures, as the terminal counts them. */
  readonly purchasesCount?: number;
  /** Their sum, in minor units. */
  readonly purchasesAmount?: number;
  /** Reversals: refunds done at the terminal. */
  readonly reversalsCount?: number;
  /** Their sum, in minor units. */
  readonly reversalsAmount?: number;
}

/** Where a close disagrees with the log: the terminal's figure minus the log's, for each field that differs. */
export interface BatchDifferences {
  /** Purchases the terminal counted beyond the log's (negative: fewer). */
  readonly purchasesCount?: number;
  /** In minor units. */
  readonly purchasesAmount?: number;
  /** Reversals the terminal counted beyond the log's (negative: fewer). */
  readonly reversalsCount?: number;
  /** In minor units. */
  readonly reversalsAmount?: number;
}

/** What the log recorded on a terminal since its last close (captures, and refunds done at the terminal). */
export interface OpenBatch extends BatchFigures {
  /**
   * When the batch opened: the last close's time (Dintero's), a fact at that instant being that close's, or when its
   * device took the terminal's name; absent before the terminal's first close.
   */
  readonly since?: string;
  /**
   * The same figures per currency (ISO 4217 code). The others sum every currency, as the terminal's batch does.
   * Absent from a batch a version before this one counted facts into (a rebuild gives it).
   */
  readonly currencies?: Readonly<Record<string, BatchFigures>>;
  /**
   * The terminal's end-of-day closes asked for and not ended yet (their operations' ids): the latest 50, should more
   * never end. While there is one, the batch keeps each fact it counts with its time (`countedWhileClosing`): the
   * terminal may close its batch before the close's outcome reaches the log, and a sale made in between belongs to the
   * next batch, not to that close.
   */
  readonly closing?: readonly string[];
  /**
   * What the batch counted while a close was pending, each with its time (Dintero's): at most 1,000. Past that, the
   * pending closes take what was counted until then (its times let go of, summed in `pastBound`), and those after it
   * are kept again.
   */
  readonly countedWhileClosing?: readonly TimedCount[];
  /**
   * What the batch counted while closes pended beyond the 1,000 kept with their times: their sum, and when the first
   * and last of them happened. A pending close that closed before the first takes none of them, one after the last
   * all; one that closed between them cannot be told its share, and its log side is unknown (`recordedUnknown`).
   */
  readonly pastBound?: PastBound;
  /**
   * The log's figures of this batch are incomplete: the close before it took some of its facts, not knowing which (one
   * that closed among facts past the bound, or one let go of beyond the 50 kept pending). Its close's log side is
   * unknown (`recordedUnknown`), and so is the next's while it closes before `until` (the latest of the facts any such
   * close took; absent: the next close only).
   */
  readonly incomplete?: {
    /** When the latest of the facts it may miss happened (Dintero's time); absent: its own close alone is unknown. */
    readonly until?: string;
  };
  /**
   * The closes that ended while another was still pending, earliest cut first, with what each took: should a pending
   * one turn out to have closed between two of them or before them all (its outcome reaching the log later), it takes
   * back from the close after it the facts up to its own time. Kept until no close pends. While a swap waits for the
   * old device's close (`swappedWhileClosing`), the closes of both devices, each compared with its own device's facts.
   */
  readonly closedWhileClosing?: readonly ClosedWhileClosing[];
  /**
   * Another device took the terminal's name while a close was pending: when, and the device swapped out. Once no
   * close is pending, the batch's facts up to then are that device's (`swappedOut`), those after it the new one's.
   * Kept past the 1,000 facts kept with their times too: the new device's facts then are summed apart (`pastBound`
   * here), so that the old device's close, ended with or without closing, never takes them, nor the new device's
   * close the old device's.
   */
  readonly swappedWhileClosing?: {
    /** When the new device took the name (the engine's time). */
    readonly at: string;
    /** Dintero's id of the device swapped out. */
    readonly device: string;
    /** The old device's closes: those pending at the swap, and those that ended while they pended. */
    readonly closes: readonly string[];
    /**
     * When the device that has the name now took it, where it came after another swap while the old device's close still
     * pended: the device between them was swapped out then (`swappedOut`), its batch apart from this device's.
     */
    readonly latestSwapAt?: string;
    /**
     * The old device's closes dated after the swap (by Dintero) that the terminal holds no more while the swap waits:
     * let go of from `closedWhileClosing` past the bound (`withinKeptBound`), or the last close replaced by a later one
     * of the old device's. On their store days alone; the split names them with the rest
     * (`SwappedOutBatch.closedAfterSwap`).
     */
    readonly closedAfterSwapLetGo?: readonly string[];
    /**
     * The facts of the device that has the name counted past the bound of those kept with their times, after it took
     * it: their sum and span, apart from the old device's (`OpenBatch.pastBound`, all before the swap). They are in
     * the batch's figures, and none of the old device's closes: the split at the swap gives them to the new device.
     */
    readonly pastBound?: PastBound;
    /**
     * The device that has the name may miss facts of its batch: a close of its own closed among its facts past the
     * bound (`pastBound`), taking them not knowing which were its own, or a close let go of beyond the 50 kept pending
     * (`closesLetGo`), taken for the old device's, may have been its own. Its next close has its log side unknown, and
     * so do those after it that close before `until` (absent: the next alone), as `OpenBatch.incomplete` says of the
     * batch.
     */
    readonly incomplete?: {
      /** When the latest of the facts it may miss happened (Dintero's time). */
      readonly until?: string;
    };
  };
}

/** A close that ended while another was still pending (`OpenBatch.closedWhileClosing`). */
export interface ClosedWhileClosing {
  /** The close as compared: the one on its store day (and the terminal's last close when it is that one). */
  readonly close: TerminalClose;
  /**
   * The facts with times it took (those counted while a close pended), and those reported late into it; the ones it
   * counted before any close pended (their times not kept) are all before a pending close's cut.
   */
  readonly counted: readonly TimedCount[];
  /** The facts past the bound it took, their times let go of (`OpenBatch.pastBound`). */
  readonly pastBound?: PastBound;
}

/**
 * Facts a batch counted while closes pended, past the 1,000 it keeps with their times: summed, every currency and per
 * currency, with the span of their times (Dintero's).
 */
export interface PastBound extends BatchFigures {
  /** When the first of them happened. */
  readonly from: string;
  /** When the last of them happened. */
  readonly to: string;
  /** The same figures per currency (ISO 4217 code). */
  readonly currencies: Readonly<Record<string, BatchFigures>>;
}

/** A capture or a refund at the terminal as a batch counted it, and when it happened (Dintero's time). */
export interface TimedCount {
  /** When it happened: Dintero's time, or the engine's where Dintero gave none. */
  readonly at: string;
  /** `purchase` (a capture) or `reversal` (a refund done at the terminal). */
  readonly kind: 'purchase' | 'reversal';
  /** In minor units of `currency`. */
  readonly amount: number;
  /** ISO 4217 code. */
  readonly currency: string;
  /** 1 for a purchase or refund, 0 for a further capture of a transaction counted already. */
  readonly count: 0 | 1;
}

/**
 * A terminal's end-of-day close beside the log: the terminal's own batch totals, and what the log recorded on
 * the terminal in the same batch (captures and refunds Dintero dates after the terminal's previous close and
 * up to this one). A difference is a mismatch for finance to look at.
 */
export interface TerminalClose {
  readonly terminalId: string;
  /** The end-of-day operation. */
  readonly operationId: string;
  /**
   * The store day it closes, for a close by hand by the nightly close's rule (the local date it was asked on, or
   * the day before when asked after midnight and before the day before's nightly close: an end of day in the
   * morning, or one the clocks moved past midnight); for a close by hand recorded
   * before that rule, the local day it ran.
   */
  readonly businessDay: string;
  /** The terminal's batch number. */
  readonly batchId?: string;
  /** When the terminal closed the batch (Dintero's time). */
  readonly closedAt: string;
  /** When the batch opened, as the terminal gives it (a UTC instant; absent when it gave none with its offset). */
  readonly startOfDayAt?: string;
  /**
   * When the batch opened by the log: the terminal's close before this one, a fact at that instant being that close's,
   * or when its device took the terminal's name (absent before its first close).
   */
  readonly openedAt?: string;
  /**
   * Dintero reported the close completed without the terminal's batch: the terminal closed it (the next close holds
   * only what came after), but its totals are unknown, and `terminal` holds zeros that say nothing.
   */
  readonly withoutTotals?: true;
  /**
   * The terminal's figures (zeros when `withoutTotals`; one it gave unreadable absent: see `unknown`); one it did not
   * give is 0.
   */
  readonly terminal: TerminalFigures;
  /**
   * The terminal's figures Dintero gave that the engine could not read (not a whole number): unknown, so the close
   * cannot be said to agree with the log, and is a mismatch whatever the log recorded. Absent when there are none.
   */
  readonly unknown?: readonly ('purchasesCount' | 'purchasesAmount' | 'reversalsCount' | 'reversalsAmount')[];
  /**
   * The terminal's sale amount in the batch, in minor units, as Dintero gives it (when it does). Not compared: it
   * is the terminal's own net of purchases and reversals.
   */
  readonly saleAmount?: number;
  /** The tips in the batch, in minor units, as Dintero gives them (when it does). Not compared: the log has none. */
  readonly tipAmount?: number;
  /** The log's figures for the same batch, every currency summed as the terminal sums them. */
  readonly recorded: BatchFigures;
  /**
   * The log's figures per currency (ISO 4217 code). Dintero's batch gives no currency: when a batch holds more than
   * one, the terminal's amounts are a sum across them and can only be compared as such, so that a shortfall in one
   * currency can hide behind a surplus in another. These say how much of `recorded` is in which. Absent from a close
   * of a batch a version before this one counted facts into (a rebuild gives it).
   */
  readonly currencies?: Readonly<Record<string, BatchFigures>>;
  /**
   * The log's figures for this batch are not known: its outcome came after the terminal counted more than the 1,000
   * facts kept with their times while closes pend, or after more than 50 closes pended, and the terminal closed among
   * facts whose times were let go of (or a close before it did), or its batch held the cut of a close whose outcome
   * came after it (it took that close's facts with its own: set then, on its store day, after it was published
   * without; the terminal's first close held every cut before its own, whatever its start of day). `recorded` holds what the fold gave it, which may miss facts of its batch or hold another batch's; the
   * close is a mismatch with no `differences`, not one made up. Absent when they are known.
   */
  readonly recordedUnknown?: true;
  /**
   * The terminal and the log disagree, or a figure of the terminal's is unknown (`unknown`), or the log's are
   * (`recordedUnknown`); or the terminal gave no totals (`withoutTotals`) for a batch the log has any purchase or
   * reversal in, which cannot be reconciled.
   */
  readonly mismatch: boolean;
  /** Where they disagree, field by field (terminal minus log). */
  readonly differences?: BatchDifferences;
}

/**
 * A terminal's counts for one local day. Each fact counts on the day it happened: a payment started on the day the
 * POS asked for it; its end on the day Dintero gives the transaction's event (a capture at 23:59:56 heard of after
 * midnight counts on the day before), the session's event for an end without a transaction (a cancel), or the
 * session's end for an expiry; on the day the engine recorded it for a cancel whose session did not say, for Dintero's
 * refusal of the session (`rejected`: Dintero's answer gives no time), and for an expiry recorded by a version before
 * the session's end was kept. So a payment started before midnight and captured after counts in `payments` on one day
 * and in `captured` on the next. Every payment started ends in one of `captured`, `declined`, `failed`, `cancelled`,
 * `expired`, `voided` and `rejected`, or is still open.
 */
export interface DayCounts {
  /** The local day (the store's time zone) these counts are for. */
  readonly date: string;
  readonly payments: number;
  readonly captured: number;
  readonly declined: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly expired: number;
  /**
   * Payments whose authorisation was voided (`PaymentVoided`), on the day Dintero gives the void. Absent from a
   * document folded before fold version 2, which did not count them: a projector reads it as 0 and counts on from
   * there (a day folded across the upgrade misses those before it) until `npm run projections:rebuild` counts them.
   */
  readonly voided: number;
  /**
   * Payments Dintero refused to start (`SessionCreationRejected`), on the day the engine recorded the refusal. Absent
   * from a document folded before fold version 2, as `voided`.
   */
  readonly rejected: number;
  /** Refunds done at this terminal, of payments taken at any terminal (another store's too). */
  readonly refunds: number;
}

/** Key `{storeId}.{terminalId}` in `payments_terminals`. */
export interface TerminalDoc {
  readonly storeId: string;
  readonly terminalId: string;
  /** What the terminal is doing (`deactivated`: taken out of use in the registry). */
  readonly status: TerminalStatus;
  /** When `status` last changed (the event's time); absent on documents written before it was kept. */
  readonly statusSince?: string;
  /** The payment, refund or terminal operation holding the terminal now; absent when it is free. */
  readonly active?: {
    readonly kind: 'payment' | 'refund' | 'operation';
    /** The payment (a refund's payment); for an operation, the operation's id. */
    readonly paymentId: string;
    /** When the terminal was claimed for it (a claim extended by a resumed request keeps its first time). */
    readonly since: string;
    /** When the claim runs out: past it, the payment is open past its deadline and the reconciler settles it. */
    readonly expiresAt?: string;
    /**
     * How far the payment got past its start (`awaiting_card` once its session prompts, `cancelling` once the POS
     * asked to cancel): the status it has again when the terminal is reactivated or its claim extended.
     */
    readonly stage?: 'awaiting_card' | 'cancelling';
  };
  /** The last payment on the terminal that ended. */
  readonly lastOutcome?: Outcome;
  /** The last refund that ended on the terminal: one done here, whichever terminal took the payment. */
  readonly lastRefund?: RefundOutcome;
  /** When the engine last heard anything of the terminal (a claim, a release, a payment's event). */
  readonly lastHeardAt?: string;
  /** The terminal's counts for its store's latest local day with a payment. */
  readonly today?: DayCounts;
  /** What the log recorded on the terminal since its last end-of-day close. */
  readonly openBatch?: OpenBatch;
  /**
   * Its last end-of-day close (the latest by Dintero's time), beside the log. While another device's close pends after
   * a swap, the last of the device swapped out: the new device's closes are in `openBatch.closedWhileClosing` until then.
   */
  readonly lastClose?: TerminalClose;
  /**
   * Closes of the terminal pended beyond the 50 kept (`openBatch.closing`), the oldest let go of: an end-of-day close
   * whose outcome comes and which the batch does not pend on may be one of them, its batch and its share of the facts
   * counted since unknown, and its log side is said unknown (`recordedUnknown`). Absent when none was let go of.
   */
  readonly closesLetGo?: true;
  /** Dintero's id of the device the name has (`dinteroTerminalId`), from its enrolment. */
  readonly device?: string;
  /**
   * The batches of devices swapped out of this name, by when another device took it: what the log recorded on each
   * since the batch before it closed or was swapped out. No close of the engine compares them (the new device's batch
   * opens at the swap): reconcile each with that device's own close.
   */
  readonly swappedOut?: Readonly<Record<string, SwappedOutBatch>>;
  /** The log position this document reflects, as a decimal string (it is a 64-bit number). */
  readonly position: string;
}

/** A device's open batch when another device took its name (`TerminalEnrolled`). */
export interface SwappedOutBatch extends BatchFigures {
  /** Dintero's id of the device swapped out. */
  readonly device: string;
  /** When its batch opened: its last close's time, or when it took the name; absent when neither is known. */
  readonly since?: string;
  /** The same figures per currency (ISO 4217 code), where the batch kept them. */
  readonly currencies?: Readonly<Record<string, BatchFigures>>;
  /**
   * The device's closes pending at the swap that Dintero dated after it (their operations): a fact after the swap is
   * the new device's, not theirs, though one may be the terminal's last close and their batches seem to hold it.
   */
  readonly closedAfterSwap?: readonly string[];
}

export interface CurrencyTotals {
  readonly capturedCount: number;
  readonly capturedAmount: number;
  readonly refundedCount: number;
  readonly refundedAmount: number;
  readonly net: number;
}

/**
 * A payment a person must look at: it stayed open past the reconciler's deadline, or it was captured and Dintero shows
 * its transaction captured further in another currency (not booked: `not_settleable`, until a further capture of it is
 * booked, Dintero showing it in the payment's currency). Or, with `refundId`, a refund of a captured payment that has
 * no outcome long after it was asked for.
 */
export interface ReviewEntry {
  readonly paymentId: string;
  /** A refund's entry: the refund. Absent from a payment's own. */
  readonly refundId?: string;
  /** The payment's terminal; a refund's: the terminal it was done at. */
  readonly terminalId: string;
  /** A refund's entry: its amount, in minor units of `currency`. */
  readonly amount?: number;
  /** A refund's entry: its currency (ISO 4217 code), the payment's, or a late capture's own for a refund of one. */
  readonly currency?: string;
  /**
   * `outcome_unknown` (Dintero calls the transaction UNKNOWN), `not_final` (session over, transaction not final; a
   * refund's: Dintero accepted it and has not finished it) or `not_settleable` (the reconciler cannot settle it:
   * `problem` says why).
   */
  readonly reason: string;
  readonly transactionId?: string;
  /**
   * Since when: Dintero has reported the outcome as unknown, or the session has been over; a captured payment's: the
   * capture in another currency was first reported; a refund's: asked for.
   */
  readonly since: string;
  /** `not_settleable`: what stops the reconciler. */
  readonly problem?: string;
  /** When it was flagged. */
  readonly at: string;
  /**
   * A captured payment's entry: Dintero shows a further capture of its transaction in another currency, which the
   * engine cannot book (`problem` says what). Absent from an open payment's and a refund's, and from a document folded
   * before fold version 4 (`npm run projections:rebuild` adds it).
   */
  readonly captured?: true;
}

/** Key `{storeId}` in `payments_stores`. */
export interface StoreDoc {
  readonly storeId: string;
  readonly name?: string;
  readonly timeZone: string;
  /** Its terminals by what they do: busy with a payment, a refund or a terminal operation (an end-of-day close), idle, or deactivated. */
  readonly terminals: { readonly busy: number; readonly idle: number; readonly deactivated: number };
  /** The totals of its latest local day with a capture or refund, per currency. */
  readonly today?: { readonly date: string; readonly totals: Readonly<Record<string, CurrencyTotals>> };
  /**
   * Payments waiting for a person, oldest first; absent when there are none. Each leaves once it ends, or once a person
   * resolved it (`PaymentReviewResolved`, `RefundReviewResolved`).
   */
  readonly review?: readonly ReviewEntry[];
  readonly position: string;
}

export interface LateCapture {
  readonly paymentId: string;
  readonly terminalId: string;
  readonly transactionId: string;
  readonly amount: number;
  /** The currency Dintero captured it in (ISO 4217 code): its own, which need not be the payment's. */
  readonly currency: string;
  readonly endedAs: string;
  /** When Dintero says the capture was made; when the engine recorded it, where Dintero gave no time. */
  readonly at: string;
  /**
   * The store days (yyyy-mm-dd, oldest first) on which refunds of this transaction, ours or made elsewhere, are listed
   * under `lateCaptureRefunds`: it was given back then, in part or in full (those entries say how much). The money
   * counts on those days, not on this one. Absent while none was.
   */
  readonly refundedOn?: readonly string[];
}

/**
 * Money captured late given back, on the day Dintero refunded it: by a refund of ours, or at Dintero by none of ours
 * (`elsewhere`, in its Backoffice, say). The late capture it gives back from is listed in `lateCaptures` on the day of
 * that capture, under the same `transactionId`.
 */
export interface LateCaptureRefund {
  readonly paymentId: string;
  readonly transactionId: string;
  /** The refund of ours; absent for one made elsewhere. */
  readonly refundId?: string;
  /** The terminal it was refunded at; absent for one made elsewhere (Dintero names none). */
  readonly terminalId?: string;
  /**
   * Refunded at Dintero by no refund of this engine's (`ExternalRefundRecorded`): one entry per refund as Dintero
   * records it (one `REFUND` event of the transaction), its whole amount, even when the engine recorded it in two parts
   * (the rest held back while a refund of its own might have been it). Two entries are two refunds at Dintero.
   */
  readonly elsewhere?: true;
  /**
   * The rest of a refund made elsewhere whose first part is listed on another day (Dintero gave no time of it, and the
   * engine recorded its rest on a later day): no refund more, and counted in no day's `refundedCount` again.
   */
  readonly continued?: true;
  readonly amount: number;
  /** The late capture's own (ISO 4217 code), which need not be the payment's: counted in the day's totals in it. */
  readonly currency: string;
  /** When Dintero says the refund was made; when the engine recorded it, where Dintero gave no time. */
  readonly at: string;
}

/** A terminal whose nightly close of the day was given up: its batch was not closed by the engine that night. */
export interface NotClosed {
  /** The attempt the close was given up at (its operation, recorded or not). */
  readonly operationId: string;
  /** How many attempts were made (recorded; 1 when not even the first could be): the one given up at, if it was. */
  readonly attempts: number;
  /** Why, in words: the last attempt's end, Dintero's refusal, or why it could not be started. */
  readonly reason: string;
  /** When the engine gave it up. */
  readonly at: string;
  /**
   * The terminal's batch closed after the give-up (by hand, or by a later close), or a later day's close closed it,
   * maybe before the give-up (the next day's close ran while a close given up as superseded still pended at Dintero):
   * that close's operation and when the terminal closed. The day stays listed (the engine did not close it that
   * night); the dashboard lets its problem go. Absent while the terminal has not closed since.
   */
  readonly closedSince?: {
    /** The close's end-of-day operation. */
    readonly operationId: string;
    /** When the terminal closed the batch (Dintero's time). */
    readonly closedAt: string;
  };
}

/** Refunds made at Dintero by none of the engine's in one currency, of a day. */
export interface RefundedElsewhere {
  /** Refunds, one per refund as Dintero records it. */
  readonly refundedCount: number;
  /** Refunded, in minor units. */
  readonly refundedAmount: number;
}

/** One terminal's part of a store's day. */
export interface TerminalDay {
  /** Its totals per currency (ISO 4217 code), as the day's are. */
  readonly currencies: Readonly<Record<string, TerminalDayTotals>>;
}

/** One terminal's totals of a day in one currency. */
export interface TerminalDayTotals {
  /** Payments captured. */
  readonly capturedCount: number;
  /** Captured, in minor units. */
  readonly capturedAmount: number;
  /** Refunded, in minor units. */
  readonly refundedAmount: number;
}

/** Key `{storeId}.{yyyy-mm-dd}` (the store's time zone) in `payments_store_days`. */
export interface StoreDayDoc {
  readonly storeId: string;
  readonly date: string;
  readonly timeZone: string;
  /** Totals per currency (ISO 4217 code). */
  readonly currencies: Readonly<Record<string, CurrencyTotals>>;
  /** Payments of the day that did not end in a capture, by how they ended: each on the day it ended. */
  readonly counts: {
    readonly declined: number;
    readonly failed: number;
    readonly cancelled: number;
    readonly expired: number;
    /**
     * Payments whose authorisation was voided (`PaymentVoided`). Absent from a document folded before fold version 2,
     * which did not count them: a projector reads it as 0 and counts on from there (a day folded across the upgrade
     * misses those before it) until `npm run projections:rebuild` counts them.
     */
    readonly voided: number;
    /** Payments Dintero refused to start (`SessionCreationRejected`). Absent before fold version 2, as `voided`. */
    readonly rejected: number;
  };
  /** Captured payments by card brand. */
  readonly cardBrands: Readonly<Record<string, number>>;
  /** Captured payments by how the card was read. */
  readonly entryMethods: Readonly<Record<string, number>>;
  /**
   * Totals per terminal of the store (refunds on the terminal of the payment they refund). Refunds made at Dintero by
   * none of the engine's are at no terminal: they are under `refundedElsewhere`.
   */
  readonly terminals: Readonly<Record<string, TerminalDay>>;
  /**
   * Refunds made at Dintero by no refund of the engine's (in its Backoffice, say), of sales and of late captures, per
   * currency (ISO 4217 code): counted in `currencies` with the day's refunds, and at no terminal, since no terminal
   * made them and no terminal's end-of-day batch holds them. A day's `currencies[c].refundedAmount` is its terminals'
   * `refundedAmount` in `c` plus this one's. Absent while there are none.
   */
  readonly refundedElsewhere?: Readonly<Record<string, RefundedElsewhere>>;
  /**
   * Money captured after its payment had ended (cancelled, timed out): each must be refunded. A transaction
   * captured late in parts has one entry per part.
   */
  readonly lateCaptures: readonly LateCapture[];
  /**
   * Late captures given back this day, by refunds of ours or at Dintero by none of ours (each also counted in the day's
   * refunds): absent while there are none.
   */
  readonly lateCaptureRefunds?: readonly LateCaptureRefund[];
  /** The day's end-of-day closes by operation id (each names its terminal), beside the log; absent before the first. */
  readonly closes?: Readonly<Record<string, TerminalClose>>;
  /** How many of those disagree with the log. */
  readonly closeMismatches?: number;
  /**
   * The terminals whose nightly close of the day was given up, by terminal id: their batch of the day was not closed
   * by the engine, for finance and the store to close by hand and follow up (a close by hand shows in `closes`, and
   * on the entry as `closedSince`). Absent while there are none.
   */
  readonly notClosed?: Readonly<Record<string, NotClosed>>;
  readonly position: string;
}

export type Change =
  | { readonly model: 'terminal'; readonly key: string; readonly doc: TerminalDoc }
  | { readonly model: 'store'; readonly key: string; readonly doc: StoreDoc }
  | { readonly model: 'store-day'; readonly key: string; readonly doc: StoreDayDoc };
