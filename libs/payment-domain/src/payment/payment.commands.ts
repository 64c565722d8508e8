import type { DinteroTransactionStatus } from './dintero-status';
import type { CardSummary, FactSource, PaymentRequestedData, TerminalReceipt } from './payment.events';

/** What Dintero reports when there is no transaction to show (`error=` on a callback, a webhook's `error`). */
export const DINTERO_ERROR_KINDS = ['cancelled', 'authorization', 'failed'] as const;
export type DinteroErrorKind = (typeof DINTERO_ERROR_KINDS)[number];
/** Whether Dintero's `error` code is one the payment decider knows (Dintero's is a free string). */
export const isDinteroErrorKind = (code: string): code is DinteroErrorKind =>
  (DINTERO_ERROR_KINDS as readonly string[]).includes(code);

type Command<Type extends string, Data> = { readonly type: Type; readonly data: Data };

/** What Dintero said about the payment's transaction (fetched from Dintero, never taken from a query string). */
export interface DinteroTransactionFact {
  readonly transactionId: string;
  readonly status: DinteroTransactionStatus;
  /** The transaction's amount: what was authorised. */
  readonly amount: number;
  readonly currency: string;
  /**
   * What Dintero captured of it, the sum of its successful `CAPTURE` events; absent when it has none with an
   * amount (the transaction's `amount` is then all that is known). Less than `amount` after a partial capture.
   */
  readonly capturedAmount?: number;
  /**
   * Each successful `CAPTURE` with its amount and Dintero's time, in order, when it had more than one: what each
   * added is booked on its own day (`FurtherCaptureRecorded`).
   */
  readonly captures?: readonly { readonly amount: number; readonly at?: string }[];
  readonly card?: CardSummary;
  readonly receipt?: TerminalReceipt;
  readonly reason?: string;
  /** When Dintero says the transaction reached this status (its event's `created_at`). */
  readonly dinteroAt?: string;
}

export type PaymentCommand =
  | Command<'RequestPayment', PaymentRequestedData>
  | Command<'RecordSessionCreated', { readonly sessionId: string; readonly expiresAt: string; readonly at: string }>
  | Command<
      'RecordSessionRejected',
      { readonly code: string; readonly message: string; readonly httpStatus: number; readonly at: string }
    >
  | Command<'BeginSessionCreation', { readonly at: string }>
  | Command<'RecordSessionOutcomeUnknown', { readonly reason: string; readonly at: string }>
  /** The session's creation never reached Dintero (no connection could be made): no terminal prompts for it. */
  | Command<'RecordSessionNotSent', { readonly reason: string; readonly at: string }>
  | Command<'RequestCancellation', { readonly by: string; readonly at: string }>
  | Command<
      'RecordDinteroTransaction',
      { readonly transaction: DinteroTransactionFact; readonly source: FactSource; readonly at: string }
    >
  /**
   * The refunds Dintero shows made on the payment's transaction, or on one it captured late, by no refund of this
   * engine's (`externalRefunds`), in Dintero's order: each recorded once, as far as it goes beyond what was recorded
   * before of that transaction.
   */
  | Command<
      'RecordExternalRefunds',
      {
        readonly transactionId: string;
        readonly refunds: readonly {
          /** Refunded elsewhere by the refunds before this one, in all. */
          readonly before: number;
          /** Refunded elsewhere with this one, in all. */
          readonly refundedElsewhere: number;
          /** Dintero's time of this refund. */
          readonly dinteroAt?: string;
        }[];
        readonly source: FactSource;
        readonly at: string;
      }
    >
  /** `report_error=true` callbacks and `checkout_authorization` webhooks that carry no transaction. */
  | Command<
      'RecordDinteroError',
      {
        readonly error: DinteroErrorKind;
        readonly source: FactSource;
        readonly at: string;
        /** When Dintero's session says it happened (its cancel, its refusal), when the session was asked. */
        readonly dinteroAt?: string;
      }
    >
  | Command<'ExpireSession', { readonly source: FactSource; readonly at: string }>
  | Command<'RequestVoid', { readonly by: string; readonly at: string }>
  /** `problem`: the reconciler could not settle the payment (what stopped it), rather than found it still open. */
  | Command<'FlagForReview', { readonly at: string; readonly problem?: string }>
  /**
   * A transaction Dintero reported that `RecordDinteroTransaction` refused as money in another currency than the
   * payment's (`TRANSACTION_IN_OTHER_CURRENCY`): a further capture of a captured payment's own transaction is handed
   * to a person, since no reconciler looks at a captured payment.
   */
  | Command<'FlagUnbookableCapture', { readonly transaction: DinteroTransactionFact; readonly at: string }>
  /**
   * A refund without an outcome for a person: one Dintero accepted and has not finished (`problem` absent), or one
   * the reconciler cannot settle (`problem`: what stopped it).
   */
  | Command<'FlagRefundForReview', { readonly refundId: string; readonly at: string; readonly problem?: string }>
  /**
   * A person of the chain's back office dealt with what was handed to them: the payment's own review (no `refundId`),
   * or its refund's. `by`: the POS client (back office) that says so; `note`: what the person did. It acknowledges
   * only: whatever Dintero reports later is recorded as before.
   */
  | Command<
      'ResolveReview',
      {
        readonly refundId?: string;
        /**
         * The flag the person dealt with (its review entry's `at`), when they name it: a flag recorded since (a new
         * cause) is then refused (`REVIEW_CHANGED`), not resolved unseen by a retry.
         */
        readonly flaggedAt?: string;
        readonly by: string;
        readonly note: string;
        readonly at: string;
      }
    >
  | Command<
      'RequestRefund',
      {
        readonly refundId: string;
        readonly amount: number;
        /**
         * The transaction captured late to give money back from; absent for the sale, or, of a payment that ended
         * without one, for its only transaction captured late.
         */
        readonly transactionId?: string;
        /** The currency the POS means to refund in: refused unless it is the payment's. */
        readonly currency?: string;
        readonly terminalId: string;
        readonly dinteroTerminalId?: string;
        readonly claimId: string;
        readonly reason?: string;
        readonly by: string;
        readonly at: string;
      }
    >
  | Command<'SubmitRefund', { readonly refundId: string; readonly at: string }>
  | Command<
      'RecordRefundOutcome',
      {
        readonly refundId: string;
        /**
         * `accepted`: Dintero answered 202 (or its transaction shows our `INITIATE_REFUND`): it is doing the
         * refund at the terminal and will record the result as a `REFUND` event later.
         */
        readonly outcome: 'succeeded' | 'failed' | 'unknown' | 'accepted';
        readonly reason?: string;
        /** With `accepted`: Dintero's `event-request-id`, the `correlation_request_id` of the result. */
        readonly requestId?: string;
        /**
         * With `failed`: not Dintero's word but its silence, the refund having no trace there once its wait was
         * over. A refund sent may still show up after that; it is then recorded as `LateRefundRecorded`.
         */
        readonly noTrace?: true;
        /** With `succeeded` or `failed`: the terminal's references and receipts of the refund, from its `REFUND` event. */
        readonly receipt?: TerminalReceipt;
        readonly source: FactSource;
        readonly at: string;
        /** When Dintero says the refund happened or was refused (its `REFUND` event's `created_at`). */
        readonly dinteroAt?: string;
      }
    >;

/** The longest `problem` a review flag carries (`FlagForReview`): the reason of a failure, not its whole answer. */
export const MAX_PROBLEM_LENGTH = 500;

/** The longest `note` a resolution of a review carries (`ResolveReview`): what the person did, in a few words. */
export const MAX_NOTE_LENGTH = 500;
