import type { RecordedEvent } from '@app/event-store';
import type { PaymentEvent } from '@app/payment-domain';
import { stringField } from './string-field';

/**
 * When a payment's fact happened, by which its store day is chosen: when Dintero says it happened (a capture
 * at 23:59:56 heard of at 00:00:10 belongs to the day before), the receipt time only when Dintero gave none.
 */
export function paymentFactTime(event: PaymentEvent, recorded: RecordedEvent): string {
  return (
    stringField(event.data, 'dinteroAt') ??
    stringField(event.data, 'at') ??
    stringField(event.data, 'requestedAt') ??
    recorded.metadata.occurredAt ??
    ''
  );
}
