import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import type { EventStore, LogFollower, RecordedEvent, SqliteEventStore } from '@app/event-store';
import { LogSubscriptions } from '@app/platform';
import { sqliteFile } from '../../../libs/event-store/test/fixtures/sqlite-file';
import { waitUntil } from '../../../test/support/app-process';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { LeasedLogWorker } from '../src/fleet/leased-log-worker';
import { SettleLeases } from '../src/reconciler/settle-leases';

/** Longer than any test here waits: an item whose lease is not given up stays another's for the whole test. */
const LONG_LEASE_MS = 600_000;

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

  /**
   * A worker following `store-` streams on `store`, and the number of events its index held at each round; `work`:
   * what each of its rounds does once it has counted them.
   */
  async function startWorker(
    store: EventStore,
    work: (worker: LeasedLogWorker) => Promise<void> = () => Promise.resolve(),
    leaseMs = 30_000,
  ) {
    const seen: RecordedEvent[] = [];
    const rounds: number[] = [];
    let firstRound!: () => void;
    const firstRoundRan = new Promise<void>((resolve) => (firstRound = resolve));
    const worker: LeasedLogWorker = new LeasedLogWorker(
      {
        name: `test-worker-${workers.length}`,
        streamPrefixes: ['store-'],
        onEvent: (event) => void seen.push(event),
        tick: () => {
          rounds.push(seen.length);
          firstRound();
          return work(worker);
        },
        intervalMs: 1,
        natsPrefix: prefix,
        leaseMs,
      },
      store,
      nats,
      new LogSubscriptions(new Registry()),
      new Logger('test-worker'),
    );
    workers.push(worker);
    await worker.start();
    await firstRoundRan;
    return { seen, rounds, worker };
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

  it('gives up the leases it holds at a stop: another instance takes the item at once, not a lease later', async () => {
    const item = `item-${randomUUID()}`;
    const taken = { first: false, next: false };
    let nextLooked = false;
    const first = await startWorker(
      log.open(),
      async (worker) => void (taken.first ||= await worker.mayTake(item)),
      LONG_LEASE_MS,
    );
    await waitUntil(() => taken.first, 5_000, 'the item taken by the first instance');
    await startWorker(
      log.open(),
      async (worker) => {
        taken.next ||= await worker.mayTake(item);
        nextLooked = true;
      },
      LONG_LEASE_MS,
    );
    // Held by a running instance: not the next one's.
    await waitUntil(() => nextLooked, 5_000, 'a look of the next instance');
    expect(taken.next).toBe(false);
    await first.worker.stop();
    await waitUntil(() => taken.next, 5_000, 'the item taken by the next instance after the first stopped');
  });

  it('gives up no lease before the round in flight at its stop has ended', async () => {
    const item = `item-${randomUUID()}`;
    let inRound!: () => void;
    const working = new Promise<void>((resolve) => (inRound = resolve));
    let endRound!: () => void;
    const roundMayEnd = new Promise<void>((resolve) => (endRound = resolve));
    let roundOver = false;
    const { worker } = await startWorker(
      log.open(),
      async (self) => {
        if (roundOver || !(await self.mayTake(item))) return;
        inRound();
        await roundMayEnd;
        roundOver = true;
      },
      LONG_LEASE_MS,
    );
    await working;
    // Whether the round was over when the stop gave the leases up, and when the follower had stopped.
    const { leases, follower } = worker as unknown as { leases: SettleLeases; follower: LogFollower };
    let releasedInRound: boolean | undefined;
    const release = leases.release.bind(leases);
    leases.release = (...args) => {
      releasedInRound = !roundOver;
      return release(...args);
    };
    let followerStopped!: () => void;
    const followerStop = new Promise<void>((resolve) => (followerStopped = resolve));
    const stopFollower = follower.stop.bind(follower);
    follower.stop = async () => {
      await stopFollower();
      followerStopped();
    };

    // Let go whatever happens below: a stop that waits for a round never ending would hold the suite's end.
    try {
      const stopping = worker.stop();
      // The stop as far as it goes without the round: its follower stopped, then every step that needs no I/O.
      await followerStop;
      await nextTurn();
      expect(releasedInRound).toBeUndefined();
      const next = await SettleLeases.open(nats, prefix, LONG_LEASE_MS);
      expect(await next.take(item)).toBe(false);
      endRound();
      await stopping;
      expect(releasedInRound).toBe(false);
      expect(await next.take(item)).toBe(true);
    } finally {
      endRound();
    }
  });
});
