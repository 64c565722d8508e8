import { randomUUID } from 'node:crypto';
import { DiscardPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamBatchPublisher } from '@app/messaging';
import { NATS_URL } from '../../../test/support/nats-state';

describe('JetStreamBatchPublisher', () => {
  // This run's own subjects and streams.
  const run = `jsb${randomUUID().slice(0, 8)}`;
  const streams: string[] = [];
  let nats: NatsConnection;
  let jsm: JetStreamManager;
  let publisher: JetStreamBatchPublisher;

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nats);
    publisher = new JetStreamBatchPublisher(nats, 5_000);
  });
  afterAll(async () => {
    publisher.close();
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => false);
    await nats.close();
  });

  const stream = async (name: string, limits: { max_msgs?: number; discard?: DiscardPolicy } = {}) => {
    const full = `${run}_${name}`;
    streams.push(full);
    await jsm.streams.add({ name: full, subjects: [`${run}.${name}.>`], duplicate_window: 60e9, ...limits });
    return full;
  };
  const messages = (name: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      subject: `${run}.${name}.${i % 3}`,
      data: `{"i":${i}}`,
      msgId: `${name}-${i}`,
    }));

  it('resolves once the stream stored every message, and stores a batch sent again only once', async () => {
    const name = await stream('feed');
    await publisher.publish(messages('feed', 2_500));
    expect((await jsm.streams.info(name)).state.messages).toBe(2_500);
    // Sent again (a flush retried after a crash): acknowledged as duplicates, nothing stored twice.
    await publisher.publish(messages('feed', 2_500));
    expect((await jsm.streams.info(name)).state.messages).toBe(2_500);
    const first = await jsm.streams.getMessage(name, { seq: 1 });
    expect(first?.json()).toEqual({ i: 0 });
  });

  it('rejects, at once, a batch with a subject no stream takes', async () => {
    const started = Date.now();
    await expect(publisher.publish([{ subject: `${run}.nowhere.x`, data: '{}', msgId: 'n-1' }])).rejects.toThrow(
      'no JetStream stream takes this subject',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects a batch not acknowledged within its timeout', async () => {
    // Something that takes the subject and never answers, as a stream whose server went away would not.
    const silent = nats.subscribe(`${run}.silent.>`);
    const impatient = new JetStreamBatchPublisher(nats, 200);
    try {
      await expect(impatient.publish(messages('silent', 2))).rejects.toThrow(
        'JetStream did not acknowledge 2 messages within 200 ms',
      );
    } finally {
      impatient.close();
      silent.unsubscribe();
    }
  });

  it('fails only the message the client refuses to send, and stores the others of its batch', async () => {
    const name = await stream('large');
    const tooLarge = 'x'.repeat((nats.info?.max_payload ?? 1_048_576) + 1);
    const [before, refused, after] = await publisher.publishEach([
      { subject: `${run}.large.a`, data: '{"i":0}' },
      { subject: `${run}.large.b`, data: tooLarge },
      { subject: `${run}.large.c`, data: '{"i":2}' },
    ]);
    expect(before).toEqual({ seq: 1 });
    expect(refused).toEqual({ error: expect.objectContaining({ message: expect.stringMatching(/max_payload/) }) });
    expect(after).toEqual({ seq: 2 });
    expect((await jsm.streams.info(name)).state.messages).toBe(2);
  });

  it('gives a working publisher for the connection after its shared one was closed', async () => {
    const name = await stream('reopened');
    const shared = JetStreamBatchPublisher.of(nats);
    expect(JetStreamBatchPublisher.of(nats)).toBe(shared);
    shared.close();
    const next = JetStreamBatchPublisher.of(nats);
    expect(next).not.toBe(shared);
    await next.publish(messages('reopened', 3));
    expect((await jsm.streams.info(name)).state.messages).toBe(3);
    next.close();
  });

  it('rejects a batch the stream refuses part of, saying why', async () => {
    const name = await stream('full', { max_msgs: 2, discard: DiscardPolicy.New });
    await expect(publisher.publish(messages('full', 3))).rejects.toThrow(
      /JetStream refused a message: .*maximum messages/,
    );
    expect((await jsm.streams.info(name)).state.messages).toBe(2);
  });
});
