import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { requestCancellation, requestVoid } from './cancel-payment';
import { flagUnbookableCapture, recordDinteroTransaction } from './dintero-transaction';
import { flagForReview, flagRefundForReview } from './flag-for-review';
import type { PaymentCommand } from './payment.commands';
import type { PaymentEvent } from './payment.events';
import { recordExternalRefunds, recordRefundOutcome, requestRefund, submitRefund } from './payment-refunds';
import {
  beginSessionCreation,
  expireSession,
  recordDinteroError,
  recordSessionCreated,
  recordSessionNotSent,
  recordSessionOutcomeUnknown,
  recordSessionRejected,
  requestPayment,
} from './payment-session';
import { evolvePayment } from './payment.evolve';
import { initialPaymentState, type PaymentState } from './payment.state';
import { resolveReview } from './resolve-review';

/*
 * One function a command, each in the file of its part of the payment (the session, Dintero's transaction, the
 * refunds, the review flags, a person's word on a review); here, which command goes to which.
 */

function decide(command: PaymentCommand, state: PaymentState): PaymentEvent[] {
  switch (command.type) {
    case 'RequestPayment':
      return requestPayment(command.data, state);
    case 'RecordSessionCreated':
      return recordSessionCreated(command.data, state);
    case 'RecordSessionRejected':
      return recordSessionRejected(command.data, state);
    case 'BeginSessionCreation':
      return beginSessionCreation(command.data, state);
    case 'RecordSessionOutcomeUnknown':
      return recordSessionOutcomeUnknown(command.data, state);
    case 'RecordSessionNotSent':
      return recordSessionNotSent(command.data, state);
    case 'RequestCancellation':
      return requestCancellation(command.data, state);
    case 'RecordDinteroTransaction':
      return recordDinteroTransaction(command.data, state);
    case 'RecordDinteroError':
      return recordDinteroError(command.data, state);
    case 'ExpireSession':
      return expireSession(command.data, state);
    case 'RequestVoid':
      return requestVoid(command.data, state);
    case 'RequestRefund':
      return requestRefund(command.data, state);
    case 'SubmitRefund':
      return submitRefund(command.data, state);
    case 'RecordRefundOutcome':
      return recordRefundOutcome(command.data, state);
    case 'RecordExternalRefunds':
      return recordExternalRefunds(command.data, state);
    case 'FlagForReview':
      return flagForReview(command.data, state);
    case 'FlagUnbookableCapture':
      return flagUnbookableCapture(command.data, state);
    case 'FlagRefundForReview':
      return flagRefundForReview(command.data, state);
    case 'ResolveReview':
      return resolveReview(command.data, state);
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION_FAILED', `Unknown payment command ${JSON.stringify(unknown)}`);
    }
  }
}

export const paymentDecider: Decider<PaymentCommand, PaymentEvent, PaymentState> = {
  initialState: initialPaymentState,
  decide,
  evolve: evolvePayment,
};
