import type { PaymentEvent, StoreEvent, TerminalEvent } from '@app/payment-domain';

/** What the read models remember of a payment: where it is, and how much in which currency. */
export interface PaymentFacts {
  readonly storeId: string;
  readonly terminalId: string;
  readonly amount: number;
  readonly currency: string;
  /**
   * The device the sale was sent to (Dintero's id, `PaymentRequested.dinteroTerminalId`): whose batch its captures
   * are. Undefined when the request names none (recorded before the registry mapped one): told by their time.
   */
  readonly device?: string;
}

/**
 * A domain event as the projections take it, with what the projector knows around it: the time it was
 * recorded (`recordedAt`, for "since when"), and for a payment's events the payment itself, its business
 * time (`at`: when Dintero says it happened, else when it was recorded) and that instant's day in the
 * store's time zone, and a refund's amount.
 */
export type Fact =
  | { readonly stream: 'store'; readonly event: StoreEvent; readonly recordedAt: string }
  | {
      readonly stream: 'terminal';
      readonly event: TerminalEvent;
      readonly recordedAt: string;
      /** The store of the terminal. */
      readonly storeId: string;
    }
  | {
      readonly stream: 'payment';
      readonly event: PaymentEvent;
      readonly recordedAt: string;
      readonly paymentId: string;
      readonly payment: PaymentFacts;
      readonly at: string;
      readonly date: string;
      /**
       * The currency of the money this event moves: the payment's, or, for a late capture, a refund of one and one
       * made elsewhere of one, the late capture's own (Dintero captured what the terminal took, which need not be
       * in the payment's currency). Totals count it in that currency, never in the payment's.
       */
      readonly moneyCurrency: string;
      /** The amount of the refund this event ends (0 for other events). */
      readonly refundAmount: number;
      /** The transaction captured late that the refund this event ends gave back from; absent for the sale's. */
      readonly refundOfLateCapture?: string;
      /** The terminal the refund this event ends was done at, when the projector knows it. */
      readonly refundTerminalId?: string;
      /** The device that refund was sent to (`RefundRequested.dinteroTerminalId`), when its request names one. */
      readonly refundDevice?: string;
      /** The payment has ended, by this event or before it. */
      readonly ended?: true;
    };

export type PaymentFact = Extract<Fact, { stream: 'payment' }>;

/**
 * A read model as a fold: the event types it handles, and the document after one fact. Pure: no I/O, no
 * clock; the same facts in the same order give the same documents. `evolve` returns the document it was
 * given when the fact changes nothing in it, and otherwise a new object that nothing else holds: the projector
 * sets the event's position on it before handing it on, and never changes it after.
 */
export interface Projection<Doc> {
  readonly handles: ReadonlySet<Fact['event']['type']>;
  evolve(doc: Doc, fact: Fact): Doc;
}
