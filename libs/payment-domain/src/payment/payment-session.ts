import { DomainError } from '../shared/domain-error';
import { isBefore, requireInstant, requireMoney, requireText, requireToken } from '../shared/validation';
import type { PaymentCommand } from './payment.commands';
import type { PaymentEvent } from './payment.events';
import { existingPayment, isOpen } from './payment.queries';
import type { PaymentState } from './payment.state';

/*
 * From the request to Dintero's session: the payment asked for, its session created once, and how a payment ends
 * before it has a transaction (the session never sent, refused, expired, or ended by an error of Dintero's).
 */

type Of<Type extends PaymentCommand['type']> = Extract<PaymentCommand, { type: Type }>['data'];

export function requestPayment(data: Of<'RequestPayment'>, state: PaymentState): PaymentEvent[] {
  // The same request again (two runs of one idempotent request, the second resuming the first): recorded once.
  if (
    state.status !== 'none' &&
    state.paymentId === data.paymentId &&
    state.claimId === data.claimId &&
    state.posClientId === data.posClientId &&
    state.storeId === data.storeId &&
    state.terminalId === data.terminalId &&
    state.amount === data.amount &&
    state.currency === data.currency &&
    state.merchantReference === data.merchantReference
  )
    return [];
  if (state.status !== 'none')
    throw new DomainError('PAYMENT_EXISTS', `Payment ${data.paymentId} exists`, { paymentId: data.paymentId });
  requireText(data.paymentId, 'paymentId', 100);
  requireToken(data.storeId, 'storeId');
  requireToken(data.terminalId, 'terminalId');
  if (data.dinteroTerminalId !== undefined) requireText(data.dinteroTerminalId, 'dinteroTerminalId', 255);
  requireText(data.payoutDestinationId, 'payoutDestinationId', 100);
  requireText(data.merchantReference, 'merchantReference', 100);
  requireText(data.posClientId, 'posClientId', 100);
  requireText(data.claimId, 'claimId', 100);
  requireMoney(data.amount, data.currency, { positive: true });
  if (!isBefore(requireInstant(data.requestedAt, 'requestedAt'), requireInstant(data.expiresAt, 'expiresAt'))) {
    throw new DomainError('VALIDATION_FAILED', 'expiresAt must be after requestedAt', { field: 'expiresAt' });
  }
  if (data.items) {
    data.items.forEach((item) => requireMoney(item.amount, data.currency, { positive: false }));
    const total = data.items.reduce((sum, item) => sum + item.amount, 0);
    if (total !== data.amount) {
      throw new DomainError('VALIDATION_FAILED', `Items add up to ${total}, not the amount ${data.amount}`, {
        field: 'items',
      });
    }
  }
  return [{ type: 'PaymentRequested', data }];
}

/**
 * Only before a session is known, of a payment still open: requested, its session's creation unknown, or with a
 * transaction Dintero reported before the command service recorded the session (the callback beat the answer to
 * the session's creation), which keeps its status (`SessionCreated` in `evolvePayment`).
 */
const awaitsSession = (payment: PaymentState): boolean => isOpen(payment) && payment.sessionId === undefined;

export function recordSessionCreated(data: Of<'RecordSessionCreated'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (!awaitsSession(payment)) return [];
  return [{ type: 'SessionCreated', data }];
}

export function recordSessionRejected(data: Of<'RecordSessionRejected'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  // A payment with a transaction has a session, whatever the answer to its creation said.
  if (!awaitsSession(payment) || payment.transactionId !== undefined) return [];
  return [{ type: 'SessionCreationRejected', data }];
}

/**
 * The session is created once: the first to record this step makes the Dintero call, nobody else. A payment
 * the POS asked to cancel before any session exists is cancelled here instead: no terminal prompts for it.
 */
export function beginSessionCreation(data: Of<'BeginSessionCreation'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (payment.status !== 'requested' || payment.sessionCreationStartedAt !== undefined) return [];
  if (payment.cancellationRequested)
    return [{ type: 'PaymentCancelled', data: { by: 'pos', source: 'command-service', at: data.at } }];
  return [{ type: 'SessionCreationStarted', data }];
}

export function recordSessionOutcomeUnknown(
  data: Of<'RecordSessionOutcomeUnknown'>,
  state: PaymentState,
): PaymentEvent[] {
  return existingPayment(state).status === 'requested' ? [{ type: 'SessionCreationOutcomeUnknown', data }] : [];
}

/** A payment's `reason` when its session was never sent: Dintero could not be reached. */
export const SESSION_NOT_SENT = 'DINTERO_UNAVAILABLE';

/**
 * The call creating the session never reached Dintero: no session, no terminal prompting, nothing to settle. The
 * payment ends here: cancelled when the POS asked for that meanwhile, otherwise failed, `DINTERO_UNAVAILABLE`.
 */
export function recordSessionNotSent({ at }: Of<'RecordSessionNotSent'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (payment.status !== 'requested' || !awaitsSession(payment) || payment.transactionId !== undefined) return [];
  const source = 'command-service';
  return payment.cancellationRequested
    ? [{ type: 'PaymentCancelled', data: { by: 'pos', source, at } }]
    : [{ type: 'PaymentFailed', data: { reason: SESSION_NOT_SENT, source, at } }];
}

export function recordDinteroError(
  { error, source, at, dinteroAt }: Of<'RecordDinteroError'>,
  state: PaymentState,
): PaymentEvent[] {
  const payment = existingPayment(state);
  // An error without a transaction does not end a payment Dintero has a transaction for: the payment ends as that
  // transaction does (ingest and the cancel record the session's transaction where it has one). Such an error is
  // an earlier attempt's, delivered after the transaction's; ended on it, an authorised transaction captured later
  // would be money taken for a sale the POS was told failed.
  if (!isOpen(payment) || payment.transactionId !== undefined) return [];
  if (dinteroAt !== undefined) requireInstant(dinteroAt, 'dinteroAt');
  // Dated by Dintero's session where it was asked: a cancel at 23:59:58 heard of after midnight is the day before's.
  const when = { source, at, ...(dinteroAt === undefined ? {} : { dinteroAt }) };
  switch (error) {
    case 'cancelled':
      // The customer cancelled on the terminal, or Dintero cancelled the session we asked it to cancel.
      return [{ type: 'PaymentCancelled', data: { by: payment.cancellationRequested ? 'pos' : 'customer', ...when } }];
    case 'authorization':
      return [{ type: 'PaymentDeclined', data: { reason: 'authorization', ...when } }];
    case 'failed':
      return [{ type: 'PaymentFailed', data: { reason: 'failed', ...when } }];
  }
}

export function expireSession({ source, at }: Of<'ExpireSession'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  // A payment with a transaction at Dintero ends as that transaction does, whatever the session's time: expired
  // now, a capture coming later would be money taken for a sale the books do not have.
  if (!isOpen(payment) || payment.transactionId !== undefined || isBefore(at, payment.expiresAt)) return [];
  // Dated by the session's end, not by when the reconciler got to it (after its grace, a backlog, a night down):
  // a payment that timed out at 23:59 is one of that day's.
  return [{ type: 'PaymentExpired', data: { source, at, dinteroAt: payment.expiresAt } }];
}
