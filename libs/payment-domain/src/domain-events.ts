import type { NightlyCloseSwitchEvent } from './nightly-close/nightly-close-switch.decider';
import type { OperationEvent } from './operation/operation.events';
import type { PaymentEvent } from './payment/payment.events';
import type { StoreEvent } from './store/store.decider';
import type { TerminalEvent } from './terminal/terminal.decider';

/** Every event the domain writes to the log, by the stream it is on. */
export type DomainEvent = PaymentEvent | TerminalEvent | StoreEvent | OperationEvent | NightlyCloseSwitchEvent;

const PAYMENT_EVENT_TYPES = [
  'PaymentRequested',
  'SessionCreated',
  'SessionCreationRejected',
  'SessionCreationStarted',
  'SessionCreationOutcomeUnknown',
  'PaymentFlaggedForReview',
  'PaymentReviewResolved',
  'CancellationRequested',
  'TransactionStarted',
  'PaymentOnHold',
  'TransactionOutcomeUnknown',
  'PaymentAuthorized',
  'PaymentCaptured',
  'FurtherCaptureRecorded',
  'PaymentDeclined',
  'PaymentFailed',
  'PaymentCancelled',
  'PaymentExpired',
  'VoidRequested',
  'PaymentVoided',
  'LateCaptureRecorded',
  'RefundRequested',
  'RefundSubmitted',
  'RefundSucceeded',
  'RefundFailed',
  'LateRefundRecorded',
  'ExternalRefundRecorded',
  'RefundOutcomeUnknown',
  'RefundAccepted',
  'RefundFlaggedForReview',
  'RefundReviewResolved',
] as const satisfies readonly PaymentEvent['type'][];
const TERMINAL_EVENT_TYPES = [
  'TerminalAssigned',
  'TerminalClaimed',
  'TerminalReleased',
] as const satisfies readonly TerminalEvent['type'][];
const STORE_EVENT_TYPES = [
  'StoreRegistered',
  'StoreDetailsChanged',
  'TerminalRegistered',
  'TerminalDeactivated',
  'TerminalReactivated',
  'TerminalRemoved',
  'TerminalEnrolled',
  'TerminalStatusChanged',
] as const satisfies readonly StoreEvent['type'][];

const OPERATION_EVENT_TYPES = [
  'OperationRequested',
  'OperationSubmitted',
  'OperationDispatched',
  'OperationDeferred',
  'OperationCompleted',
  'OperationEnded',
  'CloseGivenUp',
  'CloseAttemptClaimed',
  'CloseAttemptVoided',
] as const satisfies readonly OperationEvent['type'][];
const NIGHTLY_CLOSE_EVENT_TYPES = [
  'NightlyCloseSwitched',
] as const satisfies readonly NightlyCloseSwitchEvent['type'][];

// Each list names every event of its union: a new event type that is not listed fails to compile here.
type Unlisted<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
const everyPaymentEvent: Unlisted<PaymentEvent['type'], (typeof PAYMENT_EVENT_TYPES)[number]> = true;
const everyTerminalEvent: Unlisted<TerminalEvent['type'], (typeof TERMINAL_EVENT_TYPES)[number]> = true;
const everyStoreEvent: Unlisted<StoreEvent['type'], (typeof STORE_EVENT_TYPES)[number]> = true;
const everyOperationEvent: Unlisted<OperationEvent['type'], (typeof OPERATION_EVENT_TYPES)[number]> = true;
const everyNightlyCloseEvent: Unlisted<NightlyCloseSwitchEvent['type'], (typeof NIGHTLY_CLOSE_EVENT_TYPES)[number]> =
  true;
void [everyPaymentEvent, everyTerminalEvent, everyStoreEvent, everyOperationEvent, everyNightlyCloseEvent];

const known = (types: readonly string[]) => new Set(types);
const PAYMENT = known(PAYMENT_EVENT_TYPES);
const TERMINAL = known(TERMINAL_EVENT_TYPES);
const STORE = known(STORE_EVENT_TYPES);
const OPERATION = known(OPERATION_EVENT_TYPES);
const NIGHTLY_CLOSE = known(NIGHTLY_CLOSE_EVENT_TYPES);

/**
 * A recorded event as the domain's typed union, told by its stream (`payment-`, `terminal-`, `store-`, `operation-`,
 * `nightly-close-`) and
 * type; undefined for any other. The one place a log record becomes a typed event: its data is what the
 * domain's deciders wrote under that type, which the log keeps as it was written.
 */
export function asDomainEvent(record: {
  readonly streamName: string;
  readonly type: string;
  readonly data: unknown;
}):
  | { readonly stream: 'payment'; readonly id: string; readonly event: PaymentEvent }
  | { readonly stream: 'terminal'; readonly id: string; readonly event: TerminalEvent }
  | { readonly stream: 'store'; readonly id: string; readonly event: StoreEvent }
  | { readonly stream: 'operation'; readonly id: string; readonly event: OperationEvent }
  | { readonly stream: 'nightly-close'; readonly id: string; readonly event: NightlyCloseSwitchEvent }
  | undefined {
  const { streamName, type, data } = record;
  const event = { type, data };
  if (streamName.startsWith('payment-') && PAYMENT.has(type))
    return { stream: 'payment', id: streamName.slice('payment-'.length), event: event as PaymentEvent };
  if (streamName.startsWith('terminal-') && TERMINAL.has(type))
    return { stream: 'terminal', id: streamName.slice('terminal-'.length), event: event as TerminalEvent };
  if (streamName.startsWith('store-') && STORE.has(type))
    return { stream: 'store', id: streamName.slice('store-'.length), event: event as StoreEvent };
  if (streamName.startsWith('operation-') && OPERATION.has(type))
    return { stream: 'operation', id: streamName.slice('operation-'.length), event: event as OperationEvent };
  if (streamName.startsWith('nightly-close-') && NIGHTLY_CLOSE.has(type))
    return {
      stream: 'nightly-close',
      id: streamName.slice('nightly-close-'.length),
      event: event as NightlyCloseSwitchEvent,
    };
  return undefined;
}
