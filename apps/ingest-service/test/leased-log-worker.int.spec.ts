import { setTimeout as delay } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import type { EventStore, RecordedEvent, SqliteEventStore } from '@app/event-store';
import { LogSubscriptions } from '@app/platform';
import { sqliteFile } from '../../../libs/event-store/test/fixtures/sqlite-file';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { LeasedLogWorker } from '../src/fleet/leased-log-worker';

/** The log as a slow disk or a far KurrentDB node would serve it: the live subscription's first event comes late. */
function slowSubscriptions(store: SqliteEventStore, lateByMs: number): EventStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'subscribeToAll') return Reflect.get(target, property, receiver) as unknown;
      return (...args: Parameters<EventStore['subscribeToAll']>) => {
        const subscription = target.subscribeToAll(...args);
        return {
          close: () => subscription.close(),
          async *[Symbol.asyncIterator]() {
            await delay(lateByMs);
            yield* subscription;
          },
        };
      };
    },
  });
}

describe('a leased worker of the fleet (nightly closes, terminal statuses)', () => {
  const prefix = uniquePrefix();
  const log = sqliteFile('leased-log-worker');
  let nats: NatsConnection;
  const workers: LeasedLogWorker[] = [];
  beforeAll(async () => (nats = await connect({ servers: NATS_URL })));
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await nats.close();
    await removeNatsState(prefix);
  });

  /** A worker following `store-` streams on `store`, and the number of events its index held at each round. */
  async function startWorker(store: EventStore) {
    const seen: RecordedEvent[] = [];
    const rounds: number[] = [];
    let firstRound!: () => void;
    const firstRoundRan = new Promise<void>((resolve) => (firstRound = resolve));
    const worker = new LeasedLogWorker(
      {
        name: `test-worker-${workers.length}`,
        streamPrefixes: ['store-'],
        onEvent: (event) => void seen.push(event),
        tick: () => {
          rounds.push(seen.length);
          firstRound();
          return Promise.resolve();
        },
        intervalMs: 1,
        natsPrefix: prefix,
        leaseMs: 30_000,
      },
      store,
      nats,
      new LogSubscriptions(new Registry()),
      new Logger('test-worker'),
    );
    workers.push(worker);
    await worker.start();
    await firstRoundRan;
    return { seen, rounds };
  }

  it('runs its first round only once its index holds the log as it stood at start', async () => {
    const writer = log.open();
    // A store's settings changed many times: the last one is what a round must act on.
    for (let page = 0; page < 3; page++)
      await writer.append(
        'store-s1',
        Array.from({ length: 1_000 }, (_, i) => ({ type: 'StoreDetailsChanged', data: { n: page * 1_000 + i } })),
        { expectedRevision: page === 0 ? 'no_stream' : page * 1_000 - 1 },
      );
    // Events of other streams after them: the head is not one the worker follows.
    await writer.append('payment-p1', [{ type: 'PaymentRequested', data: {} }], { expectedRevision: 'no_stream' });
    const { seen, rounds } = await startWorker(slowSubscriptions(log.open(), 200));
    expect(rounds[0]).toBe(3_000);
    expect(seen.at(-1)?.data).toEqual({ n: 2_999 });
  });

  it('waits, and looks again, when it cannot read the log to tell whether its index holds it', async () => {
    const real = log.open();
    let failures = 2;
    const failing = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'readAll' && failures > 0)
          return () => {
            failures -= 1;
            return Promise.reject(new Error('the disk is gone for a moment'));
          };
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const { rounds } = await startWorker(slowSubscriptions(failing, 50));
    expect(failures).toBe(0);
    expect(rounds[0]).toBe(3_000);
  });
});
