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
