import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@app/messaging';
import { NATS_URL, removeNatsState, startProjections, uniquePrefix } from '../../../test/support/projections';
import { EventFeed } from '../src/projector/event-feed';

describe('the event feed is bounded', () => {
  const prefix = uniquePrefix();
  let dir: string;
  let nats: NatsConnection;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-feed-'));
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await nats.close();
    rmSync(dir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  it('by the configured age and size, also when the stream already existed without bounds', async () => {
    const jsm = await jetstreamManager(nats);
    const { events } = natsNames(prefix);
    // As an earlier version created it: no bounds at all.
    await jsm.streams.add({ name: events.stream, subjects: [events.all] });
    const app = await startProjections({
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      NATS_PREFIX: prefix,
      EVENT_FEED_MAX_AGE_HOURS: '2',
      EVENT_FEED_MAX_MIB: '5',
    });
    try {
      const { config } = await jsm.streams.info(events.stream);
      expect(config.max_age).toBe(2 * 3600 * 1e9);
      expect(config.max_bytes).toBe(5 * 1024 * 1024);
      expect(config.discard).toBe('old');
      expect(config.subjects).toEqual([events.all]);
    } finally {
      await app.close();
    }
  });

  it('refuses limits that make no sense, naming the variable', async () => {
    await expect(
      startProjections({
        EVENT_STORE_URL: `sqlite:${path.join(dir, 'refused.db')}`,
        NATS_PREFIX: prefix,
        EVENT_FEED_MAX_AGE_HOURS: '0',
      }),
    ).rejects.toThrow(/EVENT_FEED_MAX_AGE_HOURS/);
  });

  it('says which setting asks for more than the server can reserve, and makes no stream', async () => {
    const jsm = await jetstreamManager(nats);
    const { events } = natsNames(`${prefix}big`);
    // The setting's maximum, 1 TiB: more than this machine's disk, of which JetStream takes at most 75% by default.
    const opening = EventFeed.open(nats, `${prefix}big`, { maxAgeHours: 1, maxMib: 1024 * 1024 }, 1);
    await expect(opening).rejects.toThrow(
      /cannot reserve 1048576 MiB for the event feed .* \(EVENT_FEED_MAX_MIB\).* Lower EVENT_FEED_MAX_MIB/,
    );
    await expect(jsm.streams.info(events.stream)).rejects.toThrow(/stream not found/);
  });
});
