import { HeardTransactions } from '../src/facts/heard-transactions';

describe('HeardTransactions: what a delivery’s claim is compared with', () => {
  const tx = {
    id: 'T1.a',
    status: 'CAPTURED',
    amount: 10_000,
    events: [{ id: 'e1', event: 'CAPTURE', success: true, amount: 10_000, metadata: { a: '1', b: '2' } }],
  };

  it('the same transaction, parsed from the same JSON, digests the same', () => {
    expect(HeardTransactions.digest(JSON.parse(JSON.stringify(tx)))).toBe(HeardTransactions.digest(tx));
  });

  it.each([
    ['a status', { ...tx, status: 'REFUNDED' }],
    ['a field the engine does not read', { ...tx, payout_destination_id: 'P1' }],
    ['a field left out', { id: tx.id, status: tx.status, amount: tx.amount }],
    ['an event more', { ...tx, events: [...tx.events, { id: 'e2', event: 'REFUND', amount: 1 }] }],
    ['an event’s metadata', { ...tx, events: [{ ...tx.events[0], metadata: { a: '1', b: '3' } }] }],
    ['a number as a string', { ...tx, amount: '10000' }],
    ['events in another order', { ...tx, events: [{ id: 'e0', event: 'AUTHORIZE' }, ...tx.events].reverse() }],
    // Not a difference in what it says; compared as serialised, and so fetched, never skipped on a guess.
    ['keys in another order', { amount: tx.amount, id: tx.id, status: tx.status, events: tx.events }],
  ])('%s apart digests otherwise', (_what, other) => {
    expect(HeardTransactions.digest(other)).not.toBe(HeardTransactions.digest(tx));
  });

  it('keeps the newest 10,000 transactions', () => {
    const heard = new HeardTransactions();
    for (let i = 0; i <= 10_000; i++) heard.remember(`T${i}`, { paymentId: 'p', digest: 'd', revision: i });
    expect(heard.get('T0')).toBeUndefined();
    expect(heard.get('T1')).toMatchObject({ revision: 1 });
    expect(heard.get('T10000')).toMatchObject({ revision: 10_000 });
  });

  it('a fetch under way is waited for, and forgotten once it settles, failed or not', async () => {
    const heard = new HeardTransactions();
    let fail!: (error: Error) => void;
    const failing = heard.fetching('T1.a', () => new Promise<never>((_, reject) => (fail = reject)));
    expect(heard.knows('T1.a')).toBe(true);
    const waited = heard.settled('T1.a');
    fail(new Error('Dintero unavailable'));
    await expect(failing).rejects.toThrow('Dintero unavailable');
    await expect(waited).resolves.toBeUndefined();
    expect(heard.knows('T1.a')).toBe(false);
  });
});
