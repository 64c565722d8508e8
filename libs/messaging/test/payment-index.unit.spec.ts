import { parsePaymentIndexKey, paymentIndexEntry, referenceToken } from '@app/messaging';

describe('the payment index key', () => {
  const event = (merchantReference: string, requestedAt = '2026-11-30T23:59:59.123Z') => ({
    type: 'PaymentRequested',
    position: 42n,
    data: {
      paymentId: '6f1c2a9e-0000-4000-8000-000000000001',
      storeId: 'oslo',
      terminalId: 'T-1',
      merchantReference,
      amount: 10_000,
      currency: 'NOK',
      requestedAt,
    },
  });

  it('names store, UTC day, terminal, reference and time, and reads back what it needs', () => {
    const indexed = paymentIndexEntry('payments', event('Kvittering 7 / kasse 3'))!;
    expect(indexed.key).toBe(
      `oslo.2026-11-30.T-1.${referenceToken('Kvittering 7 / kasse 3')}.${Date.parse('2026-11-30T23:59:59.123Z')}-6f1c2a9e-0000-4000-8000-000000000001`,
    );
    expect(indexed.entry).toMatchObject({ merchantReference: 'Kvittering 7 / kasse 3', position: '42' });
    expect(parsePaymentIndexKey(indexed.key)).toEqual({
      storeId: 'oslo',
      terminalId: 'T-1',
      requestedAtMs: Date.parse('2026-11-30T23:59:59.123Z'),
      paymentId: '6f1c2a9e-0000-4000-8000-000000000001',
    });
  });

  it('makes any reference a key token, the same text always the same token', () => {
    for (const reference of ['a.b', 'ø>*', ' ', 'x'.repeat(100)]) {
      expect(referenceToken(reference)).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(referenceToken(reference)).toBe(referenceToken(reference));
    }
    expect(referenceToken('A')).not.toBe(referenceToken('a'));
  });

  it('indexes only a payment’s start, and reads no foreign key', () => {
    expect(paymentIndexEntry('payments', { ...event('x'), type: 'PaymentCaptured' })).toBeUndefined();
    expect(parsePaymentIndexKey('oslo.2026-11-30.T-1.token')).toBeUndefined();
    expect(parsePaymentIndexKey('oslo.2026-11-30.T-1.token.17645-x')).toBeUndefined();
  });
});
