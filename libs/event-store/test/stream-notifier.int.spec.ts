import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  LogFollower,
  SqliteEventStore,
  StreamNotifier,
  type EventStore,
  type EventSubscription,
} from '@app/event-store';

const dir = mkdtempSync(path.join(tmpdir(), 'notifier-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const append = (store: EventStore, stream: string) =>
  store.append(stream, [{ id: randomUUID(), type: 'Happened', data: {} }], { expectedRevision: 'any' });
const settled = async (promise: Promise<void>) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200))]);

describe('one notifier per process instead of a subscription per waiter', () => {
  let store: SqliteEventStore;
  let notifier: StreamNotifier;

  beforeEach(async () => {
    store = new SqliteEventStore({ file: path.join(dir, `${randomUUID()}.db`) });
    await append(store, 'payment-old');
    notifier = new StreamNotifier(store, ['payment-']);
    await notifier.start();
  });
  afterEach(async () => {
    await notifier.stop();
    await store.close();
  });

  it('wakes the waiters of a stream at its next event, and no others', async () => {
    const never = new AbortController();
    const mine = notifier.next('payment-a', never.signal);
    const theirs = notifier.next('payment-b', never.signal);
    await append(store, 'payment-a');
    expect(await settled(mine)).toBe(true);
    expect(await settled(theirs)).toBe(false);
    never.abort();
    expect(await settled(theirs)).toBe(true);
  });

  it('does not wake for what was recorded before it started, nor for other prefixes', async () => {
    const never = new AbortController();
    const waiting = notifier.next('payment-old', never.signal);
    await append(store, 'terminal-old');
    expect(await settled(waiting)).toBe(false);
    never.abort();
  });
});

describe('a start tried again', () => {
  it('wakes the waiters that came before it, to read what was recorded before the head it follows from', async () => {
    const real = new SqliteEventStore({ file: path.join(dir, `${randomUUID()}.db`) });
    // The real log, whose head cannot be read at the first try (KurrentDB electing a leader): the start is tried
    // again (`StartRetries`), the command service taking long polls meanwhile.
    let headReads = 0;
    const store = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'headPosition')
          return () => (++headReads === 1 ? Promise.reject(new Error('the log did not answer')) : real.headPosition());
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const notifier = new StreamNotifier(store, ['payment-']);
    try {
      await expect(notifier.start()).rejects.toThrow('the log did not answer');
      // A long poll read the payment and waits; the payment's end is recorded before the start that works.
      const never = new AbortController();
      const waiting = notifier.next('payment-a', never.signal);
      await append(real, 'payment-a');
      await notifier.start();
      // Not woken, it would wait for its whole timeout with the payment ended.
      expect(await settled(waiting)).toBe(true);
      never.abort();
    } finally {
      await notifier.stop();
      await real.close();
    }
  });
});

describe('a dropped subscription', () => {
  it('is resubscribed from the last position it saw, with waiters woken to read what they missed', async () => {
    const store = new SqliteEventStore({ file: path.join(dir, `${randomUUID()}.db`) });
    // The real log, whose first live subscription fails after one event, as KurrentDB drops one on a leader change.
    let subscriptions = 0;
    const dropping: EventStore = Object.assign(Object.create(store) as EventStore, {
      subscribeToAll: (options: Parameters<EventStore['subscribeToAll']>[0]): EventSubscription => {
        const inner = store.subscribeToAll(options);
        if (++subscriptions > 1) return inner;
        return {
          async *[Symbol.asyncIterator]() {
            for await (const event of inner) {
              yield event;
              throw new Error('connection reset');
            }
          },
          close: () => inner.close(),
        };
      },
    });
    const drops: number[] = [];
    const notifier = new StreamNotifier(
      dropping,
      ['payment-'],
      (options) =>
        new LogFollower(dropping, {
          ...options,
          onDrop: (error, retryInMs) => {
            drops.push(retryInMs);
            options.onDrop?.(error, retryInMs);
          },
        }),
    );
    await notifier.start();
    const never = new AbortController();
    try {
      const first = notifier.next('payment-x', never.signal);
      await append(store, 'payment-x');
      expect(await settled(first)).toBe(true);
      const deadline = Date.now() + 5_000;
      while (subscriptions < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(drops).toEqual([100]);
      const second = notifier.next('payment-x', never.signal);
      await append(store, 'payment-x');
      expect(await settled(second)).toBe(true);
      expect(notifier.healthy).toBe(true);
    } finally {
      never.abort();
      await notifier.stop();
      await store.close();
    }
  });
});
