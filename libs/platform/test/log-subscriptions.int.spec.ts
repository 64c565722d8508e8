import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { Registry } from 'prom-client';
import {
  EventHandlingError,
  EventStoreUnavailableError,
  SqliteEventStore,
  type EventStore,
  type RecordedEvent,
} from '@app/event-store';
import { LogSubscriptions } from '@app/platform';

const dir = mkdtempSync(path.join(tmpdir(), 'log-subscriptions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('an app’s subscriptions to the log', () => {
  let store: SqliteEventStore;
  beforeEach(() => (store = new SqliteEventStore({ file: path.join(dir, `${randomUUID()}.db`) })));
  afterEach(() => store.close());

  it('resubscribe after a drop from the last event delivered, missing and repeating nothing', async () => {
    const subscriptions = new LogSubscriptions(new Registry());
    const seen: string[] = [];
    const follower = subscriptions.follower('test', store, {
      streamPrefixes: ['s-'],
      onEvent: (event: RecordedEvent) => void seen.push(event.streamName),
    });
    follower.start(0n);
    try {
      await store.append('s-1', [{ type: 'Happened', data: {} }], { expectedRevision: 'no_stream' });
      await until(() => seen.length === 1, 'the first event');
      store.dropSubscriptions();
      await store.append('s-2', [{ type: 'Happened', data: {} }], { expectedRevision: 'no_stream' });
      await until(() => seen.length === 2, 'the event after the drop');
      expect(seen).toEqual(['s-1', 's-2']);
      expect(follower.drops).toBe(1);
    } finally {
      await follower.stop();
    }
  });

  it('show a subscription that keeps failing in /health and in its metrics', async () => {
    const registry = new Registry();
    const subscriptions = new LogSubscriptions(registry);
    // A log whose subscriptions all fail at once, as KurrentDB while no node answers.
    const failing: EventStore = Object.assign(Object.create(store) as EventStore, {
      subscribeToAll: () => {
        throw new EventStoreUnavailableError('no node answers');
      },
    });
    const follower = subscriptions.follower('reconciler', failing, { streamPrefixes: [], onEvent: () => undefined });
    const probe = subscriptions.probe();
    await expect(probe.check()).resolves.toBeUndefined();
    follower.start(0n);
    try {
      await until(() => !follower.healthy, 'the follower down');
      await expect(probe.check()).rejects.toThrow(/reconciler/);
      const metrics = await registry.metrics();
      expect(metrics).toMatch(/^event_log_subscription_up\{subscriber="reconciler"\} 0$/m);
      expect(metrics).toMatch(/^event_log_subscription_drops_total\{subscriber="reconciler"\} [1-9]/m);
    } finally {
      await follower.stop();
    }
  });

  it('stop at an event their subscriber cannot handle, name it in /health and count it, and go on once it is handled', async () => {
    const registry = new Registry();
    const subscriptions = new LogSubscriptions(registry);
    const probe = subscriptions.probe();
    const seen: string[] = [];
    const drops: unknown[] = [];
    let failuresLeft = 3;
    const follower = subscriptions.follower('projector', store, {
      streamPrefixes: ['s-'],
      onEvent: (event: RecordedEvent) => {
        if (event.type === 'Poison' && failuresLeft-- > 0) throw new Error('the fold cannot take it');
        seen.push(event.type);
      },
      onDrop: (error) => drops.push(error),
    });
    await store.append('s-1', [{ type: 'Fine', data: {} }], { expectedRevision: 'no_stream' });
    await store.append(
      's-2',
      [{ type: 'Poison', data: { card: '4111' }, metadata: { paymentId: 'p-1', storeId: 'st-1' } }],
      {
        expectedRevision: 'no_stream',
      },
    );
    await store.append('s-3', [{ type: 'After', data: {} }], { expectedRevision: 'no_stream' });
    follower.start(0n);
    try {
      await until(() => drops.length >= 2, 'two failures on the event');
      // Stopped at it: nothing after it was delivered, and /health names it.
      expect(seen).toEqual(['Fine']);
      expect(follower.stuckAt).toMatchObject({ eventType: 'Poison', streamName: 's-2', position: 2n });
      await expect(probe.check()).rejects.toThrow('projector (stopped at Poison, position 2)');
      const [first, second] = drops as EventHandlingError[];
      expect(first).toBeInstanceOf(EventHandlingError);
      expect(first).toMatchObject({ attempts: 1, about: { paymentId: 'p-1', storeId: 'st-1' } });
      expect(second).toMatchObject({ attempts: 2 });
      expect(first!.message).toContain('the fold cannot take it');
      expect(inspect(first, { depth: 10 })).not.toContain('4111');
      expect(await registry.metrics()).toMatch(/^event_log_handling_failures_total\{subscriber="projector"\} [2-9]/m);
      // Handled on the fourth try: the follower goes on, each event once, and is healthy again.
      await until(() => seen.length === 3, 'the events after it');
      expect(seen).toEqual(['Fine', 'Poison', 'After']);
      expect(follower.stuckAt).toBeUndefined();
      await until(() => follower.healthy, 'the follower up');
      await expect(probe.check()).resolves.toBeUndefined();
    } finally {
      await follower.stop();
    }
  });
});
