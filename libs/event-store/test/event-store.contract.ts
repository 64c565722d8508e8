import { randomUUID } from 'node:crypto';
import {
  EventStoreError,
  InvalidEventStoreInputError,
  MAX_APPEND_BYTES,
  WrongExpectedRevisionError,
  logIdentity,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@app/event-store';
import { take } from './wait';

export interface ContractContext {
  /** A fresh, empty log for one test. */
  create(): Promise<EventStore>;
}

const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  metadata: { correlationId: 'c-1', occurredAt: '2026-11-23T10:00:00.000Z' },
});

/**
 * The event log's contract, run against every adapter. Streams get a per-test unique prefix, so the
 * suite also holds on a shared KurrentDB that already has other data in it.
 */
export function eventStoreContract(adapter: string, context: ContractContext): void {
  describe(`event store contract: ${adapter}`, () => {
    let store: EventStore;
    let run: string;
    const stream = (name: string): string => `${run}-${name}`;

    beforeEach(async () => {
      store = await context.create();
      run = `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    });
    afterEach(async () => {
      await store.close();
    });

    async function readOwn(): Promise<RecordedEvent[]> {
      return store.readAll({ streamPrefixes: [run], limit: 10_000 });
    }

    it('refuses every call once closed, as the log out of reach, and closes again quietly', async () => {
      await store.append(stream('a'), [event('PaymentRequested')], { expectedRevision: 'no_stream' });
      await store.close();
      const unavailable = { code: 'EVENT_STORE_UNAVAILABLE' };
      await expect(store.append(stream('a'), [event('SessionCreated')], { expectedRevision: 0 })).rejects.toMatchObject(
        unavailable,
      );
      await expect(store.readStream(stream('a'))).rejects.toMatchObject(unavailable);
      await expect(store.readAll({ streamPrefixes: [run] })).rejects.toMatchObject(unavailable);
      await expect(store.headPosition()).rejects.toMatchObject(unavailable);
      expect(() => store.subscribeToAll({ streamPrefixes: [run] })).toThrow(
        expect.objectContaining(unavailable) as Error,
      );
      await expect(store.close()).resolves.toBeUndefined();
    });

    it('appends to a new stream and reads it back with revisions from 0 and strictly increasing positions', async () => {
      const events = [event('PaymentRequested', { amount: 100 }), event('SessionCreated', { sessionId: 's1' })];
      const result = await store.append(stream('a'), events, { expectedRevision: 'no_stream' });

      const read = await store.readStream(stream('a'));
      expect(read.map((e) => [e.id, e.type, e.revision, e.streamName])).toEqual([
        [events[0]!.id, 'PaymentRequested', 0, stream('a')],
        [events[1]!.id, 'SessionCreated', 1, stream('a')],
      ]);
      expect(read[0]!.data).toEqual({ amount: 100 });
      expect(read[0]!.metadata).toEqual({ correlationId: 'c-1', occurredAt: '2026-11-23T10:00:00.000Z' });
      expect(read[1]!.position).toBeGreaterThan(read[0]!.position);
      expect(result).toEqual({ nextRevision: 1, position: read[1]!.position });
    });

    it('names the position of the last event as the head of the log', async () => {
      const { position } = await store.append(stream('head'), [event('PaymentRequested', {})], {
        expectedRevision: 'no_stream',
      });
      // Other runs may append to a shared log meanwhile: the head is at or after our last event.
      expect(await store.headPosition()).toBeGreaterThanOrEqual(position);
      const [after] = await store.readAll({ after: await store.headPosition(), limit: 1 });
      expect(after === undefined || after.position > position).toBe(true);
    });

    it('reads a stream that does not exist as empty', async () => {
      await expect(store.readStream(stream('missing'))).resolves.toEqual([]);
    });

    describe('expected revision', () => {
      beforeEach(async () => {
        await store.append(stream('x'), [event('A'), event('B')], { expectedRevision: 'no_stream' });
      });

      it.each([
        ['no_stream on an existing stream', 'x', 'no_stream' as const, 1],
        ['stream_exists on a missing stream', 'new', 'stream_exists' as const, 'no_stream' as const],
        ['a revision behind the stream', 'x', 0, 1],
        ['a revision ahead of the stream', 'x', 5, 1],
        ['a revision on a missing stream', 'new', 0, 'no_stream' as const],
      ])('refuses %s with a typed conflict and writes nothing', async (_case, name, expectedRevision, actual) => {
        const before = await readOwn();
        const error: unknown = await store
          .append(stream(name), [event('C'), event('D')], { expectedRevision })
          .catch((e: unknown) => e);

        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({
          code: 'WRONG_EXPECTED_REVISION',
          streamName: stream(name),
          expected: expectedRevision,
          actual,
        });
        expect(await readOwn()).toEqual(before);
      });

      it.each([
        ['the current revision', 1, 3],
        ['stream_exists', 'stream_exists' as const, 3],
        ['any', 'any' as const, 3],
      ])('accepts %s', async (_case, expectedRevision, nextRevision) => {
        const result = await store.append(stream('x'), [event('C'), event('D')], { expectedRevision });
        expect(result.nextRevision).toBe(nextRevision);
        expect((await store.readStream(stream('x'))).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D']);
      });

      it('accepts no_stream and any on a missing stream', async () => {
        await store.append(stream('n1'), [event('A')], { expectedRevision: 'no_stream' });
        await store.append(stream('n2'), [event('A')], { expectedRevision: 'any' });
        expect((await readOwn()).filter((e) => e.streamName !== stream('x')).map((e) => e.revision)).toEqual([0, 0]);
      });

      it('lets exactly one of several concurrent writers at the same revision win', async () => {
        const attempts = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.append(stream('x'), [event('Claimed', { by: i })], { expectedRevision: 1 }),
          ),
        );
        const won = attempts.filter((a) => a.status === 'fulfilled');
        const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(9);
        lost.forEach((a) => expect(a.reason).toBeInstanceOf(WrongExpectedRevisionError));
        expect(await store.readStream(stream('x'))).toHaveLength(3);
      });
    });

    it('writes an append of several events all or nothing', async () => {
      await store.append(stream('y'), [event('A')], { expectedRevision: 'no_stream' });
      await expect(
        store.append(stream('y'), [event('B'), event('C'), event('D')], { expectedRevision: 7 }),
      ).rejects.toThrow(WrongExpectedRevisionError);
      await expect(
        store.append(stream('y'), [event('B'), { type: 'C', data: { bad: 10n } }], { expectedRevision: 0 }),
      ).rejects.toThrow(InvalidEventStoreInputError);
      expect((await store.readStream(stream('y'))).map((e) => e.type)).toEqual(['A']);
    });

    it('refuses an append larger than KurrentDB takes, whole, before writing any of it', async () => {
      const half = 'x'.repeat(MAX_APPEND_BYTES / 2);
      await expect(
        store.append(stream('big'), [event('A', { half }), event('B', { half })], { expectedRevision: 'no_stream' }),
      ).rejects.toThrow(/MaxAppendSize/);
      expect(await store.readStream(stream('big'))).toEqual([]);
      await store.append(stream('big'), [event('A', { part: 'x'.repeat(MAX_APPEND_BYTES / 4) })], {
        expectedRevision: 'no_stream',
      });
      expect(await store.readStream(stream('big'))).toHaveLength(1);
    });

    it('names itself once: every caller gets the id written first, and it never changes', async () => {
      const ids = await Promise.all([logIdentity(store), logIdentity(store), logIdentity(store)]);
      expect(new Set(ids).size).toBe(1);
      expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(await logIdentity(store)).toBe(ids[0]);
    });

    // Only the same ids at the same expected revision: that is what KurrentDB guarantees (with `any` it is
    // best effort), so the port promises no more, and deciders absorb every other repeat.
    it('treats the same events appended again at the same expected revision (a retried append) as one write', async () => {
      const events = [event('A'), event('B')];
      const first = await store.append(stream('r'), events, { expectedRevision: 'no_stream' });
      const again = await store.append(stream('r'), events, { expectedRevision: 'no_stream' });
      expect(again).toEqual(first);
      expect(await store.readStream(stream('r'))).toHaveLength(2);
    });

    it('refuses events already appended when they come again at an older expected revision', async () => {
      const late = event('C');
      await store.append(stream('o'), [event('A')], { expectedRevision: 'no_stream' });
      await store.append(stream('o'), [event('B')], { expectedRevision: 0 });
      await store.append(stream('o'), [late], { expectedRevision: 1 });
      // A retry decided on the stream as it was at revision 0: a conflict to decide again on, not a replay.
      await expect(store.append(stream('o'), [late], { expectedRevision: 0 })).rejects.toThrow(
        WrongExpectedRevisionError,
      );
      await expect(store.append(stream('o'), [late], { expectedRevision: 'no_stream' })).rejects.toThrow(
        WrongExpectedRevisionError,
      );
      expect((await store.readStream(stream('o'))).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      expect(await store.append(stream('o'), [late], { expectedRevision: 1 })).toEqual(
        expect.objectContaining({ nextRevision: 2 }),
      );
    });

    it('reads a stream backwards, from a revision, with a limit', async () => {
      await store.append(
        stream('b'),
        ['E0', 'E1', 'E2', 'E3', 'E4'].map((t) => event(t)),
        { expectedRevision: 'no_stream' },
      );

      const types = async (options: Parameters<EventStore['readStream']>[1]) =>
        (await store.readStream(stream('b'), options)).map((e) => e.type);
      expect(await types({ direction: 'backwards' })).toEqual(['E4', 'E3', 'E2', 'E1', 'E0']);
      expect(await types({ direction: 'backwards', limit: 2 })).toEqual(['E4', 'E3']);
      expect(await types({ direction: 'backwards', fromRevision: 2, limit: 2 })).toEqual(['E2', 'E1']);
      expect(await types({ direction: 'forwards', fromRevision: 3 })).toEqual(['E3', 'E4']);
      expect(await types({ limit: 1 })).toEqual(['E0']);
    });

    it('gives strictly increasing positions across streams, also under concurrent appends', async () => {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.append(stream(`p${i % 8}`), [event('A', { i }), event('B', { i })], { expectedRevision: 'any' }),
        ),
      );
      const all = await readOwn();
      expect(all).toHaveLength(80);
      for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
      for (let s = 0; s < 8; s++) {
        expect(all.filter((e) => e.streamName === stream(`p${s}`)).map((e) => e.revision)).toEqual([
          ...Array(10).keys(),
        ]);
      }
    });

    it('reads all after a position, with a limit and a stream-prefix filter', async () => {
      await store.append(stream('payment-1'), [event('A')], { expectedRevision: 'no_stream' });
      await store.append(stream('terminal-1'), [event('B')], { expectedRevision: 'no_stream' });
      await store.append(stream('payment-2'), [event('C')], { expectedRevision: 'no_stream' });

      const own = await readOwn();
      expect(own.map((e) => e.type)).toEqual(['A', 'B', 'C']);
      const afterFirst = await store.readAll({ after: own[0]!.position, streamPrefixes: [run], limit: 1 });
      expect(afterFirst.map((e) => e.type)).toEqual(['B']);
      const payments = await store.readAll({ streamPrefixes: [stream('payment-')] });
      expect(payments.map((e) => e.type)).toEqual(['A', 'C']);
      const both = await store.readAll({ streamPrefixes: [stream('payment-2'), stream('terminal-')] });
      expect(both.map((e) => e.type)).toEqual(['B', 'C']);
    });

    it('reads all for a fold (lazyMetadata) the events an eager read gives, as a spread, JSON and a clone see them', async () => {
      await store.append(stream('payment-1'), [event('A', { amount: 1 }), event('B')], {
        expectedRevision: 'no_stream',
      });
      await store.append(stream('terminal-1'), [{ type: 'C', data: {} }], { expectedRevision: 'no_stream' });
      const eager = await readOwn();
      const lazy = await store.readAll({ streamPrefixes: [run], limit: 10_000, lazyMetadata: true });
      const json = (events: readonly RecordedEvent[]) =>
        JSON.stringify(events, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));

      expect(eager.map((e) => e.metadata)).toEqual([event('A').metadata, event('B').metadata, {}]);
      // Read before anything reads its metadata, each way a consumer copies an event.
      expect(lazy.map((e) => ({ ...e }))).toEqual(eager);
      expect(json(lazy)).toBe(json(eager));
      expect(lazy.map((e) => structuredClone(e))).toEqual(eager);
      expect(lazy).toEqual(eager);
      expect(lazy.map((e) => e.metadata)).toEqual(eager.map((e) => e.metadata));
      expect(lazy.map((e) => Object.keys(e))).toEqual(eager.map((e) => Object.keys(e)));
    });

    it('resumes a subscription from a checkpoint, catch-up then live, missing and repeating nothing', async () => {
      const written: string[] = [];
      const write = async (count: number) => {
        for (let i = 0; i < count; i++) {
          const e = event('Tick', { n: written.length });
          written.push(e.id!);
          await store.append(stream(`s${written.length % 3}`), [e], { expectedRevision: 'any' });
        }
      };
      await write(30);

      const first = store.subscribeToAll({ streamPrefixes: [run] });
      const firstPart = await take(first, 12);
      await first.close();
      const checkpoint = firstPart[firstPart.length - 1]!.position;

      const resumed = store.subscribeToAll({ after: checkpoint, streamPrefixes: [run] });
      const caughtUp = take(resumed, 18 + 25);
      await write(25); // written while the subscription is catching up or live
      const rest = await caughtUp;
      await resumed.close();

      expect([...firstPart, ...rest].map((e) => e.id)).toEqual(written);
    });

    it('delivers to a live subscription events written after it started', async () => {
      const live = store.subscribeToAll({ streamPrefixes: [stream('live-')] });
      const delivered = take(live, 3);
      await store.append(stream('live-1'), [event('A')], { expectedRevision: 'no_stream' });
      await store.append(stream('other'), [event('Ignored')], { expectedRevision: 'no_stream' });
      await store.append(stream('live-2'), [event('B'), event('C')], { expectedRevision: 'no_stream' });
      expect((await delivered).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      await live.close();
    });

    describe('bad input: a typed error, and nothing written', () => {
      const cases: [string, () => Promise<unknown>][] = [
        ['an empty stream name', () => store.append('', [event('A')], { expectedRevision: 'any' })],
        ['a stream name with spaces', () => store.append(`${run} x`, [event('A')], { expectedRevision: 'any' })],
        ['a system stream name', () => store.append(`$${run}`, [event('A')], { expectedRevision: 'any' })],
        [
          'a stream name that is not a string',
          () => store.append(42 as unknown as string, [event('A')], { expectedRevision: 'any' }),
        ],
        ['no events', () => store.append(stream('z'), [], { expectedRevision: 'any' })],
        [
          'an event without a type',
          () => store.append(stream('z'), [{ data: {} } as NewEvent], { expectedRevision: 'any' }),
        ],
        [
          'an event type starting with $',
          () => store.append(stream('z'), [event('$Sys')], { expectedRevision: 'any' }),
        ],
        [
          'an event id that is not a UUID',
          () => store.append(stream('z'), [{ id: 'x', type: 'A', data: {} }], { expectedRevision: 'any' }),
        ],
        [
          'data that is not an object',
          () => store.append(stream('z'), [{ type: 'A', data: 'text' }], { expectedRevision: 'any' }),
        ],
        [
          'data with a bigint',
          () => store.append(stream('z'), [{ type: 'A', data: { n: 1n } }], { expectedRevision: 'any' }),
        ],
        [
          'data with NaN',
          () => store.append(stream('z'), [{ type: 'A', data: { n: NaN } }], { expectedRevision: 'any' }),
        ],
        [
          'data with a function',
          () => store.append(stream('z'), [{ type: 'A', data: { f: () => 1 } }], { expectedRevision: 'any' }),
        ],
        [
          'data with a Date',
          () => store.append(stream('z'), [{ type: 'A', data: { at: new Date() } }], { expectedRevision: 'any' }),
        ],
        [
          'circular data',
          () => {
            const data: Record<string, unknown> = {};
            data.self = data;
            return store.append(stream('z'), [{ type: 'A', data }], { expectedRevision: 'any' });
          },
        ],
        [
          'metadata that is not an object',
          () =>
            store.append(stream('z'), [{ type: 'A', data: {}, metadata: [] as never }], { expectedRevision: 'any' }),
        ],
        ['a negative revision', () => store.append(stream('z'), [event('A')], { expectedRevision: -1 })],
        ['a fractional revision', () => store.append(stream('z'), [event('A')], { expectedRevision: 1.5 })],
        [
          'an unknown stream state',
          () => store.append(stream('z'), [event('A')], { expectedRevision: 'latest' as never }),
        ],
        ['no expected revision', () => store.append(stream('z'), [event('A')], undefined as never)],
        ['a read with a negative limit', () => store.readStream(stream('z'), { limit: -1 })],
        ['a read from a negative revision', () => store.readStream(stream('z'), { fromRevision: -2 })],
        ['a read of an invalid stream name', () => store.readStream('bad name')],
        ['a read-all from a negative position', () => store.readAll({ after: -1n })],
        ['a read-all with an empty prefix', () => store.readAll({ streamPrefixes: [''] })],
      ];

      it.each(cases)('%s', async (_case, act) => {
        const error: unknown = await act().then(
          () => 'no error',
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InvalidEventStoreInputError);
        expect(error).toBeInstanceOf(EventStoreError);
        expect((error as Error).message).not.toHaveLength(0);
        expect(await readOwn()).toEqual([]);
      });
    });
  });
}
