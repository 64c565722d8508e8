import { DinteroRejectedError, DinteroUnavailableError, refundOutcome, type DinteroClient } from '@app/dintero';
import { dinteroTerminalOf, type PaymentCommand, type Refund } from '@app/payment-domain';
import { now } from '../../clock';

export type RecordRefundOutcome = Extract<PaymentCommand, { type: 'RecordRefundOutcome' }>;

/**
 * Dintero's answer as the refund's outcome: a 200 carries the transaction, whose `REFUND` event for our
 * reference says how it went and when; a 202 means Dintero is doing it at the terminal, its result to
 * come as the event whose `correlation_request_id` is the answer's `event-request-id`.
 */
export async function refundAtDintero(
  dintero: DinteroClient,
  transactionId: string,
  refund: Pick<Refund, 'refundId' | 'amount' | 'terminalId' | 'dinteroTerminalId'> & { reason?: string },
): Promise<RecordRefundOutcome['data']> {
  const { refundId, amount, reason } = refund;
  try {
    const answer = await dintero.refund(transactionId, {
      amount,
      terminalId: dinteroTerminalOf(refund),
      refundReference: refundId,
      ...(reason ? { reason } : {}),
    });
    const requestId = answer.kind === 'accepted' ? answer.requestId : undefined;
    const told =
      answer.transaction &&
      refundOutcome(answer.transaction, { refundId, dinteroRequestId: requestId }, 'command-service', now())?.data;
    if (told && (told.outcome !== 'accepted' || answer.kind === 'done')) return told;
    if (answer.kind === 'accepted') {
      // The header's id, or, without one, the request id Dintero's INITIATE_REFUND event carries.
      const acceptedAs = requestId ?? told?.requestId;
      return {
        refundId,
        outcome: 'accepted',
        ...(acceptedAs ? { requestId: acceptedAs } : {}),
        source: 'command-service',
        at: now(),
      };
    }
    // Done, and the transaction shows no event of ours: Dintero said it refunded.
    return { refundId, outcome: 'succeeded', source: 'command-service', at: now() };
  } catch (error) {
    const at = now();
    if (error instanceof DinteroRejectedError)
      return { refundId, outcome: 'failed', reason: error.code, source: 'command-service', at };
    // No connection could be made: the refund never reached Dintero, and nothing will come of it.
    if (error instanceof DinteroUnavailableError && error.notSent)
      return { refundId, outcome: 'failed', reason: 'DINTERO_UNAVAILABLE', source: 'command-service', at };
    if (error instanceof DinteroUnavailableError)
      return { refundId, outcome: 'unknown', reason: error.message, source: 'command-service', at };
    throw error;
  }
}
