import { natsNames, referenceToken } from './nats-names';

/**
 * One payment in `payment_index`: written once, when its `PaymentRequested` is projected, and never
 * changed (its status is read from the log). What a POS that lost a payment's id finds it by.
 */
export interface PaymentIndexEntry {
  readonly paymentId: string;
  readonly storeId: string;
  readonly terminalId: string;
  readonly merchantReference: string;
  readonly amount: number;
  readonly currency: string;
  readonly requestedAt: string;
  /** The log position of its `PaymentRequested`, as a decimal string. */
  readonly position: string;
}

/** The index entry of a `PaymentRequested` event, and its key; nothing for any other event. */
export function paymentIndexEntry(
  prefix: string,
  event: { readonly type: string; readonly data: unknown; readonly position: bigint },
): { readonly key: string; readonly entry: PaymentIndexEntry } | undefined {
  if (event.type !== 'PaymentRequested') return undefined;
  const data = event.data as Omit<PaymentIndexEntry, 'position'>;
  const entry: PaymentIndexEntry = {
    paymentId: data.paymentId,
    storeId: data.storeId,
    terminalId: data.terminalId,
    merchantReference: data.merchantReference,
    amount: data.amount,
    currency: data.currency,
    requestedAt: data.requestedAt,
    position: event.position.toString(),
  };
  const key = natsNames(prefix).keys.paymentIndex(
    entry.storeId,
    entry.requestedAt,
    entry.terminalId,
    referenceToken(entry.merchantReference),
    entry.paymentId,
  );
  return { key, entry };
}

/** What a `payment_index` key says: enough to filter, order and page without reading its entry. */
export interface PaymentIndexKey {
  readonly storeId: string;
  readonly terminalId: string;
  readonly requestedAtMs: number;
  readonly paymentId: string;
}

export function parsePaymentIndexKey(key: string): PaymentIndexKey | undefined {
  const parts = key.split('.');
  if (parts.length !== 5) return undefined;
  const [storeId, , terminalId, , last] = parts as [string, string, string, string, string];
  const dash = last.indexOf('-');
  const requestedAtMs = Number(last.slice(0, dash));
  if (dash !== 13 || !Number.isSafeInteger(requestedAtMs)) return undefined;
  return { storeId, terminalId, requestedAtMs, paymentId: last.slice(dash + 1) };
}
