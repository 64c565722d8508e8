import { RecentEvents } from '../src/sqlite/recent-events';
import { recordedAt } from './fixtures/recorded-event';

const event = recordedAt;

describe('the newest events, shared by a process’s subscriptions', () => {
  it('answers reads after where it starts, by prefix and limit, and leaves older reads to SQL', () => {
    const recent = new RecentEvents(100);
    recent.startAt(10n);
    recent.push([event(11, 'payment-a'), event(12, 'terminal-t'), event(13, 'payment-b'), event(14, 'store-s')]);
    expect(recent.read(9n, 10, [])).toBeUndefined();
    expect(recent.read(10n, 10, ['payment-'])?.events.map((e) => Number(e.position))).toEqual([11, 13]);
    expect(recent.read(11n, 2, [])?.events.map((e) => Number(e.position))).toEqual([12, 13]);
    expect(recent.read(14n, 10, [])).toEqual({ events: [], through: 14n });
    expect(recent.end).toBe(14n);
  });

  it('says how far a page that is not full went, so that a filtered reader moves past other streams', () => {
    const recent = new RecentEvents(100);
    recent.startAt(0n);
    recent.push([event(1, 'payment-a'), event(2, 'store-s'), event(3, 'payment-b'), event(4, 'payment-c')]);
    expect(recent.read(0n, 10, ['store-'])).toEqual({ events: [event(2, 'store-s')], through: 4n });
    expect(recent.read(2n, 10, ['store-'])).toEqual({ events: [], through: 4n });
    // A full page says nothing more: the reader goes on from its last event.
    expect(recent.read(0n, 2, ['payment-'])).toEqual({ events: [event(1, 'payment-a'), event(3, 'payment-b')] });
  });

  it('keeps its capacity and less than twice it, and then covers only what it kept', () => {
    const recent = new RecentEvents(3);
    recent.startAt(0n);
    recent.push([1, 2, 3, 4, 5].map((p) => event(p, 'payment-x')));
    // Five is less than twice three: all kept, and reads after the start are still answered.
    expect(recent.read(0n, 10, [])?.events.map((e) => Number(e.position))).toEqual([1, 2, 3, 4, 5]);
    recent.push([6].map((p) => event(p, 'payment-x')));
    // Six is twice three: trimmed back to the last three.
    expect(recent.read(2n, 10, [])).toBeUndefined(); // 3 was evicted: a reader after 2 needs SQL
    expect(recent.read(3n, 10, [])?.events.map((e) => Number(e.position))).toEqual([4, 5, 6]);
  });

  it('keeps less than twice its size in JSON text too, and then the newest events within it', () => {
    const recent = new RecentEvents(100, 1_000);
    recent.startAt(0n);
    const positions = [1, 2, 3, 4, 5, 6];
    recent.push(
      positions.map((p) => event(p, 'payment-x')),
      positions.map(() => 300),
    );
    // 1,800 characters, less than twice 1,000: all kept.
    expect(recent.read(0n, 10, [])?.events.map((e) => Number(e.position))).toEqual(positions);
    recent.push([event(7, 'payment-x')], [300]);
    // 2,100: trimmed to the newest within 1,000 characters, 5 to 7; a reader after 3 needs SQL.
    expect(recent.read(3n, 10, [])).toBeUndefined();
    expect(recent.read(4n, 10, [])?.events.map((e) => Number(e.position))).toEqual([5, 6, 7]);
    // An event larger than the whole window is not kept, nor anything before it: a reader before it reads SQL.
    recent.push([event(8, 'payment-x')], [5_000]);
    expect(recent.read(7n, 10, [])).toBeUndefined();
    expect(recent.read(8n, 10, [])).toEqual({ events: [], through: 8n });
    expect(recent.end).toBe(8n);
  });

  it('covers nothing before it is started', () => {
    expect(new RecentEvents(10).read(0n, 10, [])).toBeUndefined();
  });

  it('tells a stream’s tail when it holds the stream from that revision on, and only then', () => {
    const recent = new RecentEvents(2);
    recent.startAt(0n);
    const at = (position: number, stream: string, revision: number) => ({ ...event(position, stream), revision });
    recent.push([at(1, 'payment-a', 4), at(2, 'payment-b', 0), at(3, 'payment-a', 5)]);
    expect(recent.streamTail('payment-a', 4, 10)?.map((e) => e.revision)).toEqual([4, 5]);
    expect(recent.streamTail('payment-a', 5, 1)?.map((e) => e.revision)).toEqual([5]);
    expect(recent.streamTail('payment-a', 6, 10)).toEqual([]);
    // Revision 3 came before the window: unknown here.
    expect(recent.streamTail('payment-a', 3, 10)).toBeUndefined();
    expect(recent.streamTail('payment-c', 0, 10)).toBeUndefined();
    // Trimmed to its last two: payment-a's revision 5 and payment-b's next; a's 4 is gone with the rest.
    recent.push([at(4, 'payment-b', 1)]);
    expect(recent.streamTail('payment-a', 4, 10)).toBeUndefined();
    expect(recent.streamTail('payment-a', 5, 10)?.map((e) => e.revision)).toEqual([5]);
    expect(recent.streamTail('payment-b', 1, 10)?.map((e) => e.revision)).toEqual([1]);
    expect(recent.streamTail('payment-b', 0, 10)).toBeUndefined();
  });
});
