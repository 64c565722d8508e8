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
export { DinteroClient, type DinteroClientOptions } from './dintero.client';
export { DinteroRejectedError, DinteroUnavailableError } from './dintero.errors';
export type * from './dintero.types';
