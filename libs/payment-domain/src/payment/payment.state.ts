import type { CardSummary, PaymentRequestedData, TerminalReceipt } from './payment.events';
import type { ReviewResolution, ReviewSettled, ReviewWords } from './payment-review.state';

/** Statuses in which the payment may still end any way. */
export const OPEN_STATUSES = ['requested', 'awaiting_card', 'outcome_unknown', 'on_hold', 'authorized'] as const;
export type OpenStatus = (typeof OPEN_STATUSES)[number];
/** Statuses a payment ends in without money taken. */
export const ENDED_STATUSES = ['declined', 'failed', 'cancelled', 'expired', 'rejected', 'voided'] as const;
export type EndedStatus = (typeof ENDED_STATUSES)[number];
/** Every status a payment a POS can see may have. */
export const PAYMENT_STATUSES = [...OPEN_STATUSES, 'captured', ...ENDED_STATUSES] as const;
/**
 * `pending`: asked of Dintero, no answer yet; `accepted`: Dintero is doing it at the terminal (202);
 * `unknown`: Dintero did not answer; `succeeded` never changes, and `failed` only to `succeeded`, once, when Dintero
 * shows it made after all (`LateRefundRecorded`): failed for Dintero's silence (`noTrace`), or a failed try at the
 * terminal that a later one made good.
 */
export type RefundStatus = 'pending' | 'accepted' | 'succeeded' | 'failed' | 'unknown';

export interface Refund {
  readonly refundId: string;
  readonly amount: number;
  /**
   * The transaction it gives money back from, when that is one captured after the payment had ended (a late
   * capture); absent for a refund of the sale, the payment's own transaction.
   */
  readonly transactionId?: string;
  readonly terminalId: string;
  /** Dintero's id of the terminal (absent on refunds recorded before it was kept always: `terminalId`). */
  readonly dinteroTerminalId?: string;
  readonly claimId: string;
  readonly status: RefundStatus;
  /** When the POS asked for it: the reconciler waits a while before it takes Dintero's silence as a no. */
  readonly requestedAt: string;
  /** When it was sent to Dintero (a recovery point: never sent twice). */
  readonly submittedAt?: string;
  /** Dintero's `event-request-id` of an accepted refund: its result event's `correlation_request_id`. */
  readonly dinteroRequestId?: string;
  /** When the outcome was recorded, and when Dintero says it happened. */
  readonly finishedAt?: string;
  readonly dinteroAt?: string;
  /** Why it failed, or why its outcome is not known. */
  readonly reason?: string;
  /** Failed from Dintero's silence after it was sent: Dintero may still show it made. */
  readonly noTrace?: true;
  /** The terminal's references and receipts of the refund, recorded with its outcome when Dintero gave them. */
  readonly receipt?: TerminalReceipt;
  /** When it was handed to a person without an outcome (`RefundFlaggedForReview`). */
  readonly flaggedForReviewAt?: string;
  /** A person dealt with that review: it is not handed over again for it. */
  readonly reviewResolved?: ReviewResolution;
  /** The words people gave on its reviews, each with the flag it was on: kept when that flag goes. */
  readonly words?: ReviewWords['words'];
  /**
   * Taken by Dintero (202) late: after it was failed for Dintero's silence, or after a person resolved its review. When
   * that was recorded (`RefundAccepted`): its wait, and a hand-over to a person, count from then.
   */
  readonly acceptedLateAt?: string;
}

/** The items are left on the event; the POS's metadata is kept, for the payment's view to show it back. */
export interface PaymentCore extends Omit<PaymentRequestedData, 'items'> {
  readonly sessionId?: string;
  readonly transactionId?: string;
  /**
   * Transactions captured after the payment had ended, flagged for reversal: what each had captured when last
   * recorded (a transaction captured late in parts is recorded part by part).
   */
  readonly lateCaptured: Readonly<Record<string, number>>;
  /**
   * The currency of each transaction captured late in another currency than the payment's (`LateCaptureRecorded`'s
   * `currency`): its money, its refunds and what is left of it are in that currency. Absent while none was.
   */
  readonly lateCapturedCurrencies?: Readonly<Record<string, string>>;
  /**
   * Refunded at Dintero by no refund of this engine's on each transaction captured late (`ExternalRefundRecorded`
   * with `lateCapture`), in all: absent while none was.
   */
  readonly lateRefundedElsewhere?: Readonly<Record<string, number>>;
  /** The last review of its own that Dintero's word ended; gone when it is handed over anew. */
  readonly reviewSettled?: ReviewSettled;
  /**
   * The words people gave on its own reviews, each with the flag it was on: kept when that flag goes (handed over anew,
   * Dintero's word, the capture, the payment's end), where `reviewResolved` is not.
   */
  readonly words?: ReviewWords['words'];
}

export type PaymentState =
  | { readonly status: 'none' }
  | (PaymentCore & {
      readonly status: OpenStatus;
      readonly cancellationRequested: boolean;
      readonly voidRequested: boolean;
      readonly unknownTransactions: readonly string[];
      /** Since when Dintero has reported the transaction's outcome as UNKNOWN. */
      readonly unknownSince?: string;
      /** When the reconciler handed the payment to a person (its outcome stayed unknown too long). */
      readonly flaggedForReviewAt?: string;
      /**
       * A person dealt with that review: the flag stands (the reconciler hands the same cause over no more), until
       * Dintero tells the payment's outcome again (`knownAgain`) and a new cause may be handed over.
       */
      readonly reviewResolved?: ReviewResolution;
      /** When the Dintero session began to be created (a recovery point: never created twice). */
      readonly sessionCreationStartedAt?: string;
    })
  | (PaymentCore & {
      readonly status: 'captured';
      readonly transactionId: string;
      readonly capturedAmount: number;
      readonly capturedAt: string;
      readonly refunds: Readonly<Record<string, Refund>>;
      /** Refunded at Dintero by no refund of this engine's (`ExternalRefundRecorded`), in all. */
      readonly refundedElsewhere?: number;
      /**
       * When a further capture of its transaction in another currency than the payment's, which is not booked, was
       * handed to a person (`PaymentFlaggedForReview`, `FlagUnbookableCapture`); cleared when a further capture of it is
       * booked (`FurtherCaptureRecorded`: Dintero showed it in the payment's currency).
       */
      readonly flaggedForReviewAt?: string;
      /** What Dintero showed captured of the transaction in that currency when it was handed over (absent on old flags). */
      readonly flaggedCapture?: number;
      /** A person dealt with that review: only more captured than `flaggedCapture` is handed over again. */
      readonly reviewResolved?: ReviewResolution;
      /** The card the terminal read (absent on payments recorded before it was kept, and when Dintero sent none). */
      readonly card?: CardSummary;
      readonly receipt?: TerminalReceipt;
    })
  | (PaymentCore & {
      readonly status: EndedStatus;
      readonly endedAt: string;
      readonly reason?: string;
      /** The card the terminal read and refused (declined, failed), when Dintero sent it. */
      readonly card?: CardSummary;
      readonly receipt?: TerminalReceipt;
      /** The HTTP status Dintero refused the session with (a `rejected` payment). */
      readonly dinteroStatus?: number;
      /** Refunds of money captured late (`lateCaptured`): no sale stands behind it, so it is given back. */
      readonly refunds: Readonly<Record<string, Refund>>;
    });

export type OpenPayment = Extract<PaymentState, { status: OpenStatus }>;
export type CapturedPayment = Extract<PaymentState, { status: 'captured' }>;
export type EndedPayment = Extract<PaymentState, { status: EndedStatus }>;

/** A payment that may have refunds: one that has ended, captured or not (an open one has none). */
export type EndedOrCapturedPayment = CapturedPayment | EndedPayment;

export const initialPaymentState: PaymentState = { status: 'none' };
