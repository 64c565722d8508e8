import { InvalidEventStoreInputError } from '../src/event-store.errors';
import { serializeEvents } from '../src/event-validation';

const refusal = (data: Record<string, unknown>) => {
  try {
    serializeEvents('payment-x', [
      { type: 'Happened', data: {} },
      { type: 'A', data },
    ]);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventStoreInputError);
    return (error as Error).message;
  }
  throw new Error('not refused');
};

describe('event data that is not JSON: refused, naming where', () => {
  it('names the path to the first value that would not come back as it was', () => {
    expect(refusal({ items: [{ price: 1 }, { price: NaN }] })).toBe(
      'payment-x[1] (A).data.items[1].price: NaN is not a JSON number',
    );
    expect(refusal({ order: { at: new Date(0) } })).toBe('payment-x[1] (A).data.order.at: a Date object is not JSON');
    expect(refusal({ f: () => 1 })).toBe('payment-x[1] (A).data.f: a function is not JSON-serialisable');
    const data: Record<string, unknown> = { list: [] };
    (data.list as unknown[]).push({ back: data });
    expect(refusal(data)).toBe('payment-x[1] (A).data.list[0].back: circular reference');
  });

  it('takes the same value twice when it is not a cycle, and serialises what it checked', () => {
    const shared = { amount: 1 };
    const [, event] = serializeEvents('payment-x', [
      { type: 'Happened', data: {} },
      { type: 'A', data: { first: shared, second: [shared, null, 'x', true] } },
    ]);
    expect(JSON.parse(event!.data)).toEqual({ first: { amount: 1 }, second: [{ amount: 1 }, null, 'x', true] });
  });
});
