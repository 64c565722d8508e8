/** Stream `payment-{paymentId}`: one payment's whole life, refunds included. */
export const paymentStream = (paymentId: string): string => `payment-${paymentId}`;

/** Where a Dintero fact came from; the same fact from several sources is still one event. */
export type FactSource = 'callback' | 'webhook' | 'reconciler' | 'command-service';

export interface PaymentItem {
  readonly id: string;
  readonly lineId: string;
  readonly description: string;
  readonly quantity: number;
  readonly amount: number;
  readonly vat: number;
}

/** What we keep of a card: never the full number. */
export interface CardSummary {
  readonly brand?: string;
  readonly maskedPan?: string;
  readonly entryMethod?: string;
  readonly type?: string;
}

/**
 * The terminal's own references for the transaction, for the till's receipt and for finding it at the
 * acquirer: its transaction id (`seitatech:uniqueId`) and receipt number (`seitatech:receiptNumber`,
 * unique per terminal); and the receipts the terminal wrote, as Dintero passes them on (`seitatech:customerReceipt`,
 * `…Part2`, `seitatech:merchantReceipt`, `…Part2`), for the till to print. Dintero does not say what a second part
 * is nor how it joins the first, so each part is kept as it came, never joined by a guess. The texts are absent on
 * events recorded before they were kept. A receipt may print the masked card number: no log line may hold them.
 */
export interface TerminalReceipt {
  readonly terminalTransactionId?: string;
  readonly receiptNumber?: string;
  readonly customerReceipt?: string;
  readonly customerReceiptPart2?: string;
  readonly merchantReceipt?: string;
  readonly merchantReceiptPart2?: string;
}

export interface PaymentRequestedData {
  readonly paymentId: string;
  readonly storeId: string;
  readonly terminalId: string;
  /**
   * The terminal as Dintero names it (its `terminal_id`): the device the sale was sent to, `terminalId` itself when
   * Dintero knows the terminal by the chain's name. Absent on payments recorded before it was kept always (then
   * Dintero knew the terminal by `terminalId`) and before the mapping: their sales are told by their time.
   */
  readonly dinteroTerminalId?: string;
  readonly payoutDestinationId: string;
  readonly amount: number;
  readonly currency: string;
  readonly merchantReference: string;
  readonly items?: readonly PaymentItem[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly posClientId: string;
  readonly claimId: string;
  readonly requestedAt: string;
  /** When the customer's time at the terminal ends: the Dintero session's expiry. */
  readonly expiresAt: string;
}

interface Fact {
  readonly source: FactSource;
  /** When the engine heard of it (the receipt time: with `dinteroAt`, the lag). */
  readonly at: string;
  /**
   * When Dintero says it happened: the transaction event's `created_at` (the capture, refund, void or
   * refusal), or for an error without a transaction its session's event (the cancel, the refusal). The business day
   * of the fact is this instant's date in the store's time zone, not the day the engine heard of it. For an expiry,
   * the end of the session (its `expires_at`). Absent on events recorded before it was kept.
   */
  readonly dinteroAt?: string;
}

type Event<Type extends string, Data> = { readonly type: Type; readonly data: Data };

export type PaymentEvent =
  | Event<'PaymentRequested', PaymentRequestedData>
  | Event<
      'SessionCreated',
      {
        readonly sessionId: string;
        /** The session's expiry at Dintero: the terminal prompts until then. */
        readonly expiresAt: string;
        readonly at: string;
      }
    >
  | Event<
      'SessionCreationRejected',
      { readonly code: string; readonly message: string; readonly httpStatus: number; readonly at: string }
    >
  /**
   * A recovery point: the Dintero session is being created now. A request resumed after a crash that finds
   * it (and no outcome) must not create a second session: the outcome of the first call is unknown.
   */
  | Event<'SessionCreationStarted', { readonly at: string }>
  | Event<'SessionCreationOutcomeUnknown', { readonly reason: string; readonly at: string }>
  /**
   * The payment stayed open past the reconciler's deadline: a person must look (the store's documents, the
   * dashboard and a metric show it). `outcome_unknown`: Dintero reports its transaction as UNKNOWN; `not_final`:
   * its session is over, but Dintero's transaction is still initiated, on hold or authorised; `not_settleable`:
   * its session is over and the reconciler cannot settle it (Dintero answers with a status this engine does not
   * know, a transaction that names another payment, no such transaction; or cannot be reached), `problem` says
   * what. The payment stays open; Dintero is still asked. Also `not_settleable`, once: a captured payment whose own
   * transaction Dintero shows captured further in another currency than the payment's (not booked; no reconciler looks
   * at a captured payment), `problem` naming both currencies.
   */
  | Event<
      'PaymentFlaggedForReview',
      {
        readonly reason: 'outcome_unknown' | 'not_final' | 'not_settleable';
        readonly transactionId?: string;
        /**
         * Since when: Dintero has reported the outcome as unknown, or the session has been over; for a captured
         * payment, when the capture in another currency was first reported.
         */
        readonly since: string;
        /** `not_settleable`: what stopped the reconciler, as it last failed. */
        readonly problem?: string;
        /**
         * A captured payment's further capture in another currency: what Dintero showed captured of the transaction
         * then, in that currency. A resolved review is handed over again only for more than this. Absent on other
         * flags, and on events recorded before it was kept.
         */
        readonly capturedAmount?: number;
        readonly at: string;
      }
    >
  /**
   * A person dealt with the payment's own review (`PaymentFlaggedForReview`, the one of `flaggedAt`) and said so:
   * `note`, what they did; `by`, the POS client (back office) that recorded it. It leaves the review list; the same
   * cause is not handed over again, a new one is. It settles nothing: what Dintero reports later is recorded.
   */
  | Event<
      'PaymentReviewResolved',
      {
        /** The `at` of the `PaymentFlaggedForReview` it resolves. */
        readonly flaggedAt: string;
        /** The POS client (the chain's back office) that said it was dealt with. */
        readonly by: string;
        /** What the person did, in their words (1 to 500 characters). */
        readonly note: string;
        readonly at: string;
      }
    >
  | Event<'CancellationRequested', { readonly by: string; readonly at: string }>
  | Event<'TransactionStarted', Fact & { readonly transactionId: string }>
  | Event<'PaymentOnHold', Fact & { readonly transactionId: string }>
  | Event<'TransactionOutcomeUnknown', Fact & { readonly transactionId: string }>
  | Event<'PaymentAuthorized', Fact & { readonly transactionId: string; readonly amount: number }>
  | Event<
      'PaymentCaptured',
      Fact & {
        readonly transactionId: string;
        readonly amount: number;
        readonly currency: string;
        readonly card?: CardSummary;
        readonly receipt?: TerminalReceipt;
      }
    >
  /**
   * More of the payment's own transaction was captured after its first capture (it had been captured in part):
   * `amount` is what this capture added, `capturedAmount` the transaction's whole captured amount now. In the
   * payment's currency.
   */
  | Event<
      'FurtherCaptureRecorded',
      Fact & { readonly transactionId: string; readonly amount: number; readonly capturedAmount: number }
    >
  | Event<
      'PaymentDeclined',
      Fact & {
        readonly transactionId?: string;
        readonly reason: string;
        /** The card the terminal read, when it read one (absent on events recorded before it was kept). */
        readonly card?: CardSummary;
        readonly receipt?: TerminalReceipt;
      }
    >
  | Event<
      'PaymentFailed',
      Fact & {
        readonly transactionId?: string;
        readonly reason: string;
        /** The card the terminal read, when it read one (absent on events recorded before it was kept). */
        readonly card?: CardSummary;
        readonly receipt?: TerminalReceipt;
      }
    >
  | Event<'PaymentCancelled', Fact & { readonly transactionId?: string; readonly by: 'customer' | 'pos' }>
  | Event<'PaymentExpired', Fact>
  | Event<'VoidRequested', { readonly by: string; readonly at: string }>
  | Event<'PaymentVoided', Fact & { readonly transactionId: string }>
  | Event<
      'LateCaptureRecorded',
      Fact & {
        readonly transactionId: string;
        /** What this capture took, in minor units: a transaction captured late in parts has one event per part. */
        readonly amount: number;
        /** What the transaction has captured late in all, this part with the ones before; absent on its first part. */
        readonly capturedAmount?: number;
        readonly currency: string;
        /** What the payment had ended as when the money was captured anyway. */
        readonly endedAs: string;
        readonly flaggedForReversal: true;
      }
    >
  | Event<
      'RefundRequested',
      {
        readonly refundId: string;
        /**
         * In minor units of the money it gives back: the payment's currency for the sale, the late capture's own
         * (`LateCaptureRecorded`'s `currency`, which need not be the payment's) for a late capture.
         */
        readonly amount: number;
        /**
         * The currency of the money it gives back (ISO 4217): the payment's for the sale, the late capture's own for
         * a late capture. Absent on events recorded before it was kept: then the payment's, or the late capture's
         * (`LateCaptureRecorded`'s `currency`) when it names one.
         */
        readonly currency?: string;
        /**
         * The transaction captured late that it gives money back from (`LateCaptureRecorded`); absent for a refund
         * of the sale.
         */
        readonly transactionId?: string;
        readonly terminalId: string;
        /** Dintero's id of the terminal, as on `PaymentRequested`. */
        readonly dinteroTerminalId?: string;
        readonly claimId: string;
        readonly reason?: string;
        readonly by: string;
        readonly at: string;
      }
    >
  /** A recovery point: the refund is being sent to Dintero now (see `SessionCreationStarted`). */
  | Event<'RefundSubmitted', { readonly refundId: string; readonly at: string }>
  | Event<
      'RefundSucceeded',
      Fact & {
        readonly refundId: string;
        /**
         * The terminal's references and receipts of the refund, from Dintero's `REFUND` event (absent when it carried
         * none, and on events recorded before they were kept).
         */
        readonly receipt?: TerminalReceipt;
      }
    >
  /**
   * The refund failed. Once more, without `noTrace`, for a refund failed for Dintero's silence that Dintero then took
   * (`RefundAccepted`) and whose cardholder declined it: Dintero's own word, in place of the guess.
   */
  | Event<
      'RefundFailed',
      Fact & {
        readonly refundId: string;
        readonly reason: string;
        /**
         * Taken as failed from Dintero's silence about a refund that had been sent: should Dintero show it made
         * after all, `LateRefundRecorded` follows; should Dintero take it (`RefundAccepted`) and its cardholder
         * decline it, a second `RefundFailed` without this mark, Dintero's own word.
         */
        readonly noTrace?: true;
        /**
         * The second `RefundFailed` of a refund (Dintero's no after its silence): its amount, in the refund's
         * currency (as on its `RefundRequested`), which a consumer may have forgotten on the first.
         */
        readonly amount?: number;
        /**
         * The currency of the money it gives back (ISO 4217): the payment's for the sale, the late capture's own for
         * a late capture. With `amount`; absent on events recorded before it was kept: then the payment's, or the late capture's
         * (`LateCaptureRecorded`'s `currency`) when it names one.
         */
        readonly currency?: string;
        /** The second `RefundFailed` of a refund: the terminal it was done at. */
        readonly terminalId?: string;
        /**
         * The terminal's references and receipts of the refund, from Dintero's `REFUND` event (absent when it carried
         * none, and on events recorded before they were kept).
         */
        readonly receipt?: TerminalReceipt;
      }
    >
  /**
   * A refund booked failed for want of any trace at Dintero (`RefundFailed` with `noTrace`) that Dintero shows
   * made after all: the money went back to the cardholder. It counts as a refund from now on; a person should
   * see whether the POS refunded the sale again meanwhile.
   */
  | Event<
      'LateRefundRecorded',
      Fact & {
        readonly refundId: string;
        readonly amount: number;
        /**
         * The currency of the money it gives back (ISO 4217): the payment's for the sale, the late capture's own for
         * a late capture. Absent on events recorded before it was kept: then the payment's, or the late capture's
         * (`LateCaptureRecorded`'s `currency`) when it names one.
         */
        readonly currency?: string;
        readonly terminalId: string;
        /**
         * The transaction captured late the refund gave back from, as on its `RefundRequested` (which a consumer may
         * have forgotten on its failure); absent for a refund of the sale, and on events of versions before this one.
         */
        readonly transactionId?: string;
        /**
         * The terminal's references and receipts of the refund, from Dintero's `REFUND` event (absent when it carried
         * none, and on events recorded before they were kept).
         */
        readonly receipt?: TerminalReceipt;
      }
    >
  /**
   * A refund Dintero shows made on the payment's own transaction, or on one captured late (`lateCapture`), by no refund
   * of this engine's (one made in Dintero's Backoffice, say), one event a refund: `amount` more than recorded before,
   * `refundedElsewhere` in all so far on that transaction. It counts against what is left to refund of the sale, or of
   * the late capture, and in the store day's refunds on Dintero's day of that refund (its `refundedElsewhere`); at no
   * terminal, in its totals or its batch.
   * `dinteroAt` is that refund's time. Events recorded by versions before this one may stand for several refunds, dated
   * by the newest.
   */
  | Event<
      'ExternalRefundRecorded',
      Fact & {
        readonly transactionId: string;
        /** Refunded elsewhere beyond what was recorded before, in minor units: what this event adds. */
        readonly amount: number;
        /**
         * The currency of the money given back (ISO 4217): the payment's for the sale's transaction, the late capture's
         * own for one captured late. Absent on events recorded before it was kept: then the payment's, or the late
         * capture's (`LateCaptureRecorded`'s `currency`) with `lateCapture`.
         */
        readonly currency?: string;
        /** Refunded at Dintero by no refund of this engine's on the transaction, in all so far, in minor units. */
        readonly refundedElsewhere: number;
        /**
         * The transaction is one captured late (`LateCaptureRecorded`), not the sale's: the refund gave back money
         * captured late, and none of the sale's. Absent for the sale's transaction, and on every event of versions
         * before this one (which recorded refunds made elsewhere of the sale only).
         */
        readonly lateCapture?: true;
        /**
         * The rest of a refund recorded in part before (the part held back while a refund of this engine's might have
         * been it): money, and no refund more to count.
         */
        readonly continued?: true;
      }
    >
  | Event<'RefundOutcomeUnknown', { readonly refundId: string; readonly reason: string; readonly at: string }>
  /**
   * Dintero took the refund to do at the terminal (202); its `REFUND` event will say how it went. Of a refund
   * already failed for Dintero's silence, it changes nothing but the request id its `REFUND` event will name.
   */
  | Event<'RefundAccepted', Fact & { readonly refundId: string; readonly requestId?: string }>
  /**
   * A refund without an outcome handed to a person, once: `not_final`, Dintero accepted it (202) and has not
   * finished it long after it was asked for; `not_settleable`, the reconciler cannot settle it (Dintero cannot be
   * reached, or answers what this engine cannot take), `problem` says what. Its amount stays committed, and Dintero
   * is still asked: its outcome, when it comes, ends the review. Also `not_final`: a refund failed for Dintero's
   * silence that Dintero then took (202) and has not finished; its amount is free again, and it may yet be made.
   */
  | Event<
      'RefundFlaggedForReview',
      {
        readonly refundId: string;
        /** The refund's amount, in its currency (as on its `RefundRequested`). */
        readonly amount: number;
        /**
         * The currency of the money it gives back (ISO 4217): the payment's for the sale, the late capture's own for
         * a late capture. Absent on events recorded before it was kept: then the payment's, or the late capture's
         * (`LateCaptureRecorded`'s `currency`) when it names one.
         */
        readonly currency?: string;
        /** The terminal it was done at. */
        readonly terminalId: string;
        readonly reason: 'not_final' | 'not_settleable';
        /** When the refund was asked for. */
        readonly since: string;
        /** `not_settleable`: what stopped the reconciler, as it last failed. */
        readonly problem?: string;
        readonly at: string;
      }
    >
  /**
   * What `PaymentReviewResolved` is to the payment's review, for a refund's (`RefundFlaggedForReview`, the one of
   * `flaggedAt`). Its amount stays committed while Dintero has not said: the refund is still followed.
   */
  | Event<
      'RefundReviewResolved',
      {
        readonly refundId: string;
        /** The `at` of the `RefundFlaggedForReview` it resolves. */
        readonly flaggedAt: string;
        /** The POS client (the chain's back office) that said it was dealt with. */
        readonly by: string;
        /** What the person did, in their words (1 to 500 characters). */
        readonly note: string;
        readonly at: string;
      }
    >;

export type PaymentEventType = PaymentEvent['type'];
