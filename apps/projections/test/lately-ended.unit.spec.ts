import { LatelyEnded } from '../src/read-models/lately-ended';

const facts = (terminalId: string) => ({ storeId: 'oslo', terminalId, amount: 100, currency: 'NOK' });

describe('payments ended lately', () => {
  it('gives a payment back once, and holds at most its limit, the oldest dropped first', () => {
    const ended = new LatelyEnded(4);
    for (const id of ['a', 'b', 'c', 'd', 'e']) ended.add(id, facts(id));
    // Past the limit: the oldest generation (a, b) is gone, the newest payments are held.
    expect(ended.take('a')).toBeUndefined();
    expect(ended.take('b')).toBeUndefined();
    expect(ended.take('c')).toEqual(facts('c'));
    expect(ended.take('c')).toBeUndefined();
    expect(ended.take('e')).toEqual(facts('e'));
    expect(ended.take('d')).toEqual(facts('d'));
  });
});
