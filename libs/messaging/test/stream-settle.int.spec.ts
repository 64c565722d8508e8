import { randomUUID } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { untilAnswered } from '../src/stream-settle';
import { NATS_URL } from '../../../test/support/nats-state';

/**
 * `untilAnswered` asks again after the errors it is told are transient, and only those: `forming` (a stream not
 * found, as one another instance has just made is for a moment on a cluster) until its wait ends. A stream not found
 * is the same answer from a single server, so the shared NATS serves here; the cluster's side is in
 * test/replicated-nats.int.spec.ts.
 */
describe('untilAnswered on a stream not found', () => {
  const stream = `SETTLE_${randomUUID().slice(0, 8)}`;
  let nats: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nats);
  });
  afterAll(async () => {
    await jsm.streams.delete(stream).catch(() => false);
    await nats.close();
  });

  const notFound = (error: unknown) =>
    error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;

  it('fails at once when `forming` is not among the transient errors (the default: `busy` only)', async () => {
    let attempts = 0;
    const asked = untilAnswered(nats, `stream ${stream}`, () => {
      attempts++;
      return jsm.streams.info(stream);
    });
    await expect(asked.catch((error: unknown) => notFound(error))).resolves.toBe(true);
    expect(attempts).toBe(1);
  });

  it('asks again while `forming`, until the stream is there', async () => {
    let attempts = 0;
    const info = await untilAnswered(
      nats,
      `stream ${stream}`,
      async () => {
        attempts++;
        // Another instance's create lands between this instance's first question and its second.
        if (attempts === 2) await jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
        return jsm.streams.info(stream);
      },
      { transient: ['forming'], until: Date.now() + 30_000 },
    );
    expect(info.config.name).toBe(stream);
    expect(attempts).toBe(2);
  });

  it('fails with the server’s answer once its wait has ended, for a stream that stays unfound', async () => {
    const gone = `${stream}_GONE`;
    let attempts = 0;
    const started = Date.now();
    const asked = untilAnswered(
      nats,
      `stream ${gone}`,
      () => {
        attempts++;
        return jsm.streams.info(gone);
      },
      { transient: ['forming', 'busy'], limitMs: 300 },
    );
    await expect(asked.catch((error: unknown) => notFound(error))).resolves.toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(attempts).toBeGreaterThan(1);
  });
});
