/** The documents kept in NATS KV (docs/design.md, NATS contract); each names the log position it reflects. */

/**
 * What the terminal is doing. `deactivated`: taken out of use in the registry (it takes no payments until
 * reactivated). Documents written before this name was used say `offline`; a projector reads them as
 * `deactivated`.
 */
export type TerminalStatus = 'idle' | 'starting' | 'awaiting_card' | 'cancelling' | 'refunding' | 'deactivated';

export interface Outcome {
  readonly paymentId: string;
  readonly status: string;
  readonly amount: number;
  readonly currency: string;
  readonly at: string;
}

/** A refund's end, on the terminal it ran on. */
export interface RefundOutcome {
  readonly paymentId: string;
  readonly refundId: string;
  readonly status: 'refunded' | 'refund_failed';
  readonly amount: number;
  readonly currency: string;
  readonly at: string;
}

export interface DayCounts {
  /** The local day (the store's time zone) these counts are for. */
  readonly date: string;
  readonly payments: number;
  readonly captured: number;
  readonly declined: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly expired: number;
  readonly refunds: number;
}

/** Key `{storeId}.{terminalId}` in `payments_terminals`. */
export interface TerminalDoc {
  readonly storeId: string;
  readonly terminalId: string;
  readonly status: TerminalStatus;
  /** When `status` last changed (the event's time); absent on documents written before it was kept. */
  readonly statusSince?: string;
  readonly active?: {
    readonly kind: 'payment' | 'refund';
    readonly paymentId: string;
    readonly since: string;
    /** When the claim runs out: past it, the payment is open past its deadline and the reconciler settles it. */
    readonly expiresAt?: string;
  };
  readonly lastOutcome?: Outcome;
  readonly lastRefund?: RefundOutcome;
  readonly lastHeardAt?: string;
  readonly today?: DayCounts;
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

/** A payment a person must look at: its outcome stayed unknown at Dintero past the reconciler's deadline. */
export interface ReviewEntry {
  readonly paymentId: string;
  readonly terminalId: string;
  readonly reason: string;
  readonly transactionId?: string;
  /** Since when Dintero has reported the outcome as unknown. */
  readonly since: string;
  /** When it was flagged. */
  readonly at: string;
}

/** Key `{storeId}` in `payments_stores`. */
export interface StoreDoc {
  readonly storeId: string;
  readonly name?: string;
  readonly timeZone: string;
  readonly terminals: { readonly busy: number; readonly idle: number; readonly deactivated: number };
  readonly today?: { readonly date: string; readonly totals: Readonly<Record<string, CurrencyTotals>> };
  /** Payments waiting for a person, oldest first; absent when there are none. Each leaves once it ends. */
  readonly review?: readonly ReviewEntry[];
  readonly position: string;
}

export interface LateCapture {
  readonly paymentId: string;
  readonly terminalId: string;
  readonly transactionId: string;
  readonly amount: number;
  readonly currency: string;
  readonly endedAs: string;
  readonly at: string;
}

/** Key `{storeId}.{yyyy-mm-dd}` (the store's time zone) in `payments_store_days`. */
export interface StoreDayDoc {
  readonly storeId: string;
  readonly date: string;
  readonly timeZone: string;
  readonly currencies: Readonly<Record<string, CurrencyTotals>>;
  readonly counts: {
    readonly declined: number;
    readonly failed: number;
    readonly cancelled: number;
    readonly expired: number;
  };
  readonly cardBrands: Readonly<Record<string, number>>;
  readonly entryMethods: Readonly<Record<string, number>>;
  readonly terminals: Readonly<
    Record<string, { readonly capturedCount: number; readonly capturedAmount: number; readonly refundedAmount: number }>
  >;
  readonly lateCaptures: readonly LateCapture[];
  readonly position: string;
}

export type Change =
  | { readonly model: 'terminal'; readonly key: string; readonly doc: TerminalDoc }
  | { readonly model: 'store'; readonly key: string; readonly doc: StoreDoc }
  | { readonly model: 'store-day'; readonly key: string; readonly doc: StoreDayDoc };
