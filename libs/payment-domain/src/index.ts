export type { Decider } from './shared/decider';
export { fold } from './shared/decider';
export { DomainError, type DomainErrorCode } from './shared/domain-error';
export { addDays, closesNextMorning, localDate, localTime, storeDayAt, zonedInstant } from './shared/local-date';
export { ownEntry } from './shared/own-entry';
export { instantOf } from './shared/validation';
export { MAX_AMOUNT, isCurrencyCode, moneyProblem, type Money, type MoneyProblem } from './shared/money';
export * from './store/store.decider';
// Named one by one: `requireStore` and `requireTerminal` are for the store's decider.
export {
  assertAcceptedCurrency,
  currentDevice,
  DEFAULT_END_OF_DAY_TIME,
  deviceTaken,
  nameOfDevice,
  usableTerminal,
  type RegisteredTerminal,
  type StoreDetails,
  type StoreState,
  type UsableTerminal,
} from './store/store.state';
export { storeCurrencies } from './store/store-currencies';
export * from './store/terminal-enrollment';
export * from './terminal/terminal.decider';
export * from './payment/payment.events';
export * from './payment/payment.commands';
// Named one by one: `PaymentCore`, the fields every payment has, is only for the state's own files.
export {
  ENDED_STATUSES,
  initialPaymentState,
  OPEN_STATUSES,
  PAYMENT_STATUSES,
  type CapturedPayment,
  type EndedOrCapturedPayment,
  type EndedPayment,
  type EndedStatus,
  type OpenPayment,
  type OpenStatus,
  type PaymentState,
  type Refund,
  type RefundStatus,
} from './payment/payment.state';
export * from './payment/payment.queries';
export { evolvePayment } from './payment/payment.evolve';
export type { ReviewResolution, ReviewSettled } from './payment/payment-review.state';
// Named one by one, as `./domain-events` below: the read models' fold calls these for every payment's event, and what
// `export *` compiles to (CommonJS, swc) is one getter shared by every name it exports, `from[k]`, whose keyed load
// sees every module and name and so stays slow (about 1% of the fold); a name exported by name has a getter of its own.
export {
  endsPayment,
  followsPaymentEnd,
  isReviewEvent,
  PAYMENT_AFTER_END_EVENTS,
  PAYMENT_ENDED_AS,
  PAYMENT_ENDING_EVENTS,
  PAYMENT_REVIEW_EVENTS,
  reviewSaysEnded,
  type PaymentEndingEvent,
  type PaymentReviewEvent,
} from './payment/payment-end-events';
export * from './payment/dintero-status';
export { paymentDecider } from './payment/payment.decider';
export { SESSION_NOT_SENT } from './payment/payment-session';
export { capturedBeforeCancel } from './payment/cancel-payment';
export * from './idempotency/idempotency.decider';
export * from './operation/operation.events';
export * from './operation/operation.decider';
export * from './nightly-close/nightly-close-switch.decider';
export { asDomainEvent, type DomainEvent } from './domain-events';
