export {
  CALLBACK_TOLERANCE_SECONDS,
  callbackSigningString,
  canonicalQuery,
  signCallback,
  signWebhook,
  verifyCallbackSignature,
  verifyWebhookSignature,
  type CallbackRequest,
  type SignatureCheck,
} from './signatures';
export { DinteroClient, type TransactionOperationResult } from './dintero.client';
export type { CallOptions, DinteroCallObservation, DinteroClientOptions } from './dintero-client.options';
export { dinteroAudience } from './dintero-http';
export { REFUND_TERMINAL_FIELD } from './dintero-requests';
export { DINTERO_MAX_AMOUNT, isDinteroCurrency } from './dintero-limits';
export { DinteroRejectedError, DinteroUnavailableError } from './dintero.errors';
export { OriginPools } from './origin-pools';
export type * from './dintero.types';
export { UnrecognisedTransactionStatusError, transactionFact, transactionStatus } from './transaction-facts';
export { refundEventOf, refundOutcome, refundOutcomes, refundReferenceOf } from './refund-facts';
export { externalRefunds } from './external-refunds';
export { sessionError, sessionErrorTime } from './session-errors';

/** Nest injection token of the app's one `DinteroClient` (the provider is `dinteroClientProvider` in `@app/platform`). */
export const DINTERO_CLIENT = Symbol('DINTERO_CLIENT');
