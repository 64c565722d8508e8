/**
 * A terminal's batch as the read models keep it (docs/design.md, NATS contract: the terminal document's `openBatch`,
 * `lastClose` and `swappedOut`, and a store day's `closes`): the figures the log recorded since its last close, the
 * closes pending and ended, and the batches of devices swapped out. Re-exported by `read-model.types.ts`.
 */
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
   * The device each close pending was sent to (Dintero's id, `OperationRequested.dinteroTerminalId`), by its operation:
   * which device's batch it closes, where the instants (Dintero's close against the engine's swap) may misread it.
   * Absent for closes asked for before the fold kept it, and for none.
   */
  readonly closingOn?: Readonly<Record<string, string>>;
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
  /**
   * The device the sale or refund was sent to (Dintero's id: `PaymentRequested`'s or `RefundRequested`'s
   * `dinteroTerminalId`), kept while closes pend: should a swap come before they end (`swappedWhileClosing`), whose
   * batch it is, where its time against the swap's (Dintero's clock against the engine's) may misread it. Absent for a
   * fact that names none (recorded before it was kept), or only the terminal's own name while no device of that id was
   * enrolled on it (a terminal Dintero knows by the chain's name), or counted by a fold before version 16 while no swap
   * waited: told by its time.
   */
  readonly device?: string;
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
   * The device the close was sent to (Dintero's id, `OperationRequested.dinteroTerminalId`): whose batch it closes.
   * Absent from a close folded before it was kept (the device is then told by the instants, as it was).
   */
  readonly device?: string;
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
   * Its batch was taken by a close after it, whose outcome came first (its facts' times let go of past a bound): it
   * holds no fact of its own (`recorded` is none), with its log side unknown (`recordedUnknown`), and no fact heard of
   * late counts in it, whatever start of day its terminal gave (`startOfDayAt`): the close that took its batch, or the
   * one before, holds it. Absent for every other close.
   */
  readonly batchLost?: true;
  /**
   * The terminal and the log disagree, or a figure of the terminal's is unknown (`unknown`), or the log's are
   * (`recordedUnknown`); or the terminal gave no totals (`withoutTotals`) for a batch the log has any purchase or
   * reversal in, which cannot be reconciled.
   */
  readonly mismatch: boolean;
  /** Where they disagree, field by field (terminal minus log). */
  readonly differences?: BatchDifferences;
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
