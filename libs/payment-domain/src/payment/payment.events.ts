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

export interface PaymentRequestedData {
  readonly paymentId: string;
  readonly storeId: string;
  readonly terminalId: string;
  readonly payoutDestinationId: string;
  readonly amount: number;
  readonly currency: string;
  readonly merchantReference: string;
  readonly items?: readonly PaymentItem[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly posClientId: string;
  readonly claimId: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
}

interface Fact {
  readonly source: FactSource;
  readonly at: string;
}

type Event<Type extends string, Data> = { readonly type: Type; readonly data: Data };

export type PaymentEvent =
  | Event<'PaymentRequested', PaymentRequestedData>
  | Event<'SessionCreated', { readonly sessionId: string; readonly expiresAt: string; readonly at: string }>
  | Event<
      'SessionCreationRejected',
      { readonly code: string; readonly message: string; readonly httpStatus: number; readonly at: string }
    >
  | Event<'SessionCreationOutcomeUnknown', { readonly reason: string; readonly at: string }>
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
      }
    >
  | Event<'PaymentDeclined', Fact & { readonly transactionId?: string; readonly reason: string }>
  | Event<'PaymentFailed', Fact & { readonly transactionId?: string; readonly reason: string }>
  | Event<'PaymentCancelled', Fact & { readonly transactionId?: string; readonly by: 'customer' | 'pos' }>
  | Event<'PaymentExpired', Fact>
  | Event<'VoidRequested', { readonly by: string; readonly at: string }>
  | Event<'PaymentVoided', Fact & { readonly transactionId: string }>
  | Event<
      'LateCaptureRecorded',
      Fact & {
        readonly transactionId: string;
        readonly amount: number;
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
        readonly amount: number;
        readonly terminalId: string;
        readonly claimId: string;
        readonly reason?: string;
        readonly by: string;
        readonly at: string;
      }
    >
  | Event<'RefundSucceeded', Fact & { readonly refundId: string }>
  | Event<'RefundFailed', Fact & { readonly refundId: string; readonly reason: string }>
  | Event<'RefundOutcomeUnknown', { readonly refundId: string; readonly reason: string; readonly at: string }>;

export type PaymentEventType = PaymentEvent['type'];
