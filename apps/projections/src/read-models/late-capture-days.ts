import type { RecordedEvent } from '@app/event-store';
import { addDays, localDate, type PaymentEvent } from '@app/payment-domain';
import type { PaymentContext } from './payment-memory';
import { paymentFactTime } from './payment-fact-time';
import type { Fact } from './projections/fact';
import { withLateCaptureRefunded } from './projections/store-day.projection';
import type { ReadModelDocuments } from './read-model.documents';
import type { StoreDayDoc } from './read-model.types';
import type { StoreZones } from './store-zones';

// The store days money captured late is listed on, kept with its payment, so that a refund of it (or a later part of
// it) marks its entries there as given back.

/**
 * The store days a late capture may be listed on, kept with its payment (`lateDays`): its UTC day and the days either
 * side, which hold its local day in any time zone. Not the local day in the store's zone as it is now: a payment read
 * back from the log after a restart would take the zone of now, where the fold listed it in the zone of then (the
 * store's zone changed since), and miss its day. A day that does not list it is left as it is
 * (`withLateCaptureRefunded`), so the days either side change nothing, and cost a read only when out of memory.
 */
export function noteLateDay(payment: PaymentContext, event: PaymentEvent, recorded: RecordedEvent): void {
  if (event.type !== 'LateCaptureRecorded') return;
  const time = Date.parse(paymentFactTime(event, recorded));
  if (Number.isNaN(time)) return;
  const utcDay = new Date(time).toISOString().slice(0, 10);
  const days = (payment.lateDays ??= new Map<string, Set<string>>());
  const dates = days.get(event.data.transactionId) ?? new Set<string>();
  for (const offset of [-1, 0, 1]) dates.add(addDays(utcDay, offset));
  days.set(event.data.transactionId, dates);
}

/**
 * The store day a refund of a late capture is listed on, kept with its payment (`lateRefundDays`): a part of that
 * late capture recorded later is marked given back on it. Noted before the event is remembered, as `noteLateDay`.
 * The day is in the store's zone at the refund's position, as the fold listed it: a refund read back from the log
 * after a restart is not in the zone of now (the store's document loaded from KV), which may have changed since.
 * The zone of now stands in only where the rim has not read the store's zones (`ReadModelProjector.zonesWanted`),
 * which at the fold's own position is the zone in force.
 */
export function noteLateRefundDay(
  payment: PaymentContext,
  event: PaymentEvent,
  recorded: RecordedEvent,
  zones: StoreZones,
  docs: ReadModelDocuments,
): void {
  const transactionId = givenBackOf(payment, event);
  if (transactionId === undefined) return;
  const timeZone = zones.at(payment.storeId, recorded.position) ?? docs.storeDoc(payment.storeId).timeZone;
  const date = localDate(paymentFactTime(event, recorded), timeZone);
  const days = (payment.lateRefundDays ??= new Map<string, Set<string>>());
  days.set(transactionId, (days.get(transactionId) ?? new Set<string>()).add(date));
}

/**
 * The transaction captured late whose money this event gives back (a refund of ours of it, or one made elsewhere):
 * undefined for any other event. Asked before the event is remembered (a refund's memory goes as it ends).
 */
export function givenBackOf(payment: PaymentContext, event: PaymentEvent): string | undefined {
  switch (event.type) {
    case 'RefundSucceeded':
      return payment.refunds?.get(event.data.refundId)?.transactionId;
    case 'LateRefundRecorded':
      return event.data.transactionId ?? payment.failedForSilence?.get(event.data.refundId)?.transactionId;
    case 'ExternalRefundRecorded':
      return event.data.lateCapture ? event.data.transactionId : undefined;
    default:
      return undefined;
  }
}

/**
 * A part of a late capture listed on its day after refunds of the transaction were (`lateRefundDays`): marked given
 * back on their days, as the parts before it are. Any other fact leaves the day as it is.
 */
export function refundedBefore(
  day: StoreDayDoc,
  fact: Extract<Fact, { stream: 'payment' }>,
  lateRefundDays: ReadonlyMap<string, ReadonlySet<string>> | undefined,
): StoreDayDoc {
  if (fact.event.type !== 'LateCaptureRecorded') return day;
  let marked = day;
  for (const date of lateRefundDays?.get(fact.event.data.transactionId) ?? [])
    marked = withLateCaptureRefunded(marked, fact.paymentId, fact.event.data.transactionId, date);
  return marked;
}
