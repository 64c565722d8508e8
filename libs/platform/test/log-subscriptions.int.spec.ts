import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { EventStoreUnavailableError, SqliteEventStore, type EventStore, type RecordedEvent } from '@app/event-store';
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
});
