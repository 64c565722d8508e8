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
export {
  DinteroClient,
  REFUND_TERMINAL_FIELD,
  dinteroAudience,
  type CallOptions,
  type DinteroCallObservation,
  type DinteroClientOptions,
  type TransactionOperationResult,
} from './dintero.client';
export { DINTERO_MAX_AMOUNT, isDinteroCurrency } from './dintero-limits';
export { DinteroRejectedError, DinteroUnavailableError } from './dintero.errors';
export { OriginPools } from './origin-pools';
export type * from './dintero.types';
export {
  UnrecognisedTransactionStatusError,
  externalRefunds,
  refundEventOf,
  refundOutcome,
  refundOutcomes,
  refundReferenceOf,
  sessionError,
  sessionErrorTime,
  transactionFact,
  transactionStatus,
} from './transaction-facts';

/** Nest injection token of the app's one `DinteroClient` (the provider is `dinteroClientProvider` in `@app/platform`). */
export const DINTERO_CLIENT = Symbol('DINTERO_CLIENT');
