import type { SimTransaction } from '../src/state/simulator-state';

/** A captured transaction as the simulator keeps it, for the state file's tests; `pad` makes it that much larger. */
export function transaction(id: string, pad = 0): SimTransaction {
  return {
    id,
    session_id: `S-${id}`,
    status: 'CAPTURED',
    amount: 1000,
    currency: 'NOK',
    merchant_reference: `POS-${id}`,
    payment_product: 'seitatech',
    payment_product_type: 'seitatech.in_person',
    channel: 'in_store',
    payout_destination_id: 'seller-1',
    store: { id: 'oslo', terminal_id: 'T-1', payout_destination_id: 'seller-1' },
    url: {},
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    events: [{ id: `E-${id}`, event: 'INITIALIZE', transaction_status: 'INITIATED', success: true, created_at: 'x' }],
    capturedAmount: 1000,
    refundedAmount: 0,
    refundingAmount: 0,
    ...(pad > 0 ? { refundReasons: { pad: 'x'.repeat(pad) } } : {}),
  };
}
