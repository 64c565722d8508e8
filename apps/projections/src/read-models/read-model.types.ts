/** The documents kept in NATS KV (docs/design.md, NATS contract); each names the log position it reflects. */

import type { OpenBatch, SwappedOutBatch, TerminalClose } from './terminal-batch.types';

export type * from './terminal-batch.types';

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
