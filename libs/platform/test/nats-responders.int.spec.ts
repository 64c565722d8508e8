import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsResponders, replyTo } from '@app/platform';

/** A promise and the function that settles it: what a test holds an answer back with. */
function gate(): { readonly opened: Promise<void>; readonly open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('NATS request/reply answers', () => {
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const logger = new Logger('test');
  let server: NatsConnection;
  let client: NatsConnection;
  // Subjects of this run alone.
  const subject = (name: string) => `test.${randomUUID()}.${name}`;

  beforeAll(async () => {
    server = await connect({ servers: natsUrl });
    client = await connect({ servers: natsUrl });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('answers a request already taken when the service stops, before its NATS connection drains', async () => {
    // The app's shutdown: the responders close (before the log and NATS do), then the connection drains.
    const own = await connect({ servers: natsUrl });
    const responders = new NatsResponders(own, 'test', logger);
    const slow = subject('slow');
    const started = gate();
    const release = gate();
    responders.on(slow, (msg) =>
      replyTo(
        msg,
        async () => {
          started.open();
          await release.opened;
          return { status: 200, body: { answered: true } };
        },
        logger,
      ),
    );
    await own.flush();

    const asked = client.request(slow, '{}', { timeout: 5_000 });
    await started.opened;
    const stopped = responders.close().then(() => own.drain());
    release.open();
    expect((await asked).json()).toEqual({ status: 200, body: { answered: true } });
    await stopped;
    await expect(client.request(slow, '{}', { timeout: 1_000 })).rejects.toThrow(/no responders/i);
  });

  it('joins the queue group only once the service is ready, and not at all if it stopped before then', async () => {
    const responders = new NatsResponders(server, 'test', logger);
    const ready = gate();
    const queried = subject('ready');
    let subscribed = 0;
    responders.subscribeWhenReady(
      false,
      ready.opened,
      () => {
        subscribed++;
        responders.on(queried, (msg) => replyTo(msg, () => Promise.resolve({ status: 200, body: 'ready' }), logger));
      },
      'could not subscribe',
    );
    await server.flush();
    // Not ready: no member of the group takes the request, so NATS says so at once rather than one answering 503.
    await expect(client.request(queried, '{}', { timeout: 1_000 })).rejects.toThrow(/no responders/i);

    ready.open();
    await ready.opened;
    await server.flush();
    expect((await client.request(queried, '{}', { timeout: 5_000 })).json()).toEqual({ status: 200, body: 'ready' });
    expect(subscribed).toBe(1);
    await responders.close();

    // Stopped while still starting: the start that ends afterwards subscribes nothing (the app is going away, and
    // its connection with it).
    const stopping = new NatsResponders(server, 'test', logger);
    const late = gate();
    const lateSubject = subject('late');
    stopping.subscribeWhenReady(
      false,
      late.opened,
      () => {
        subscribed++;
        stopping.on(lateSubject, (msg) => replyTo(msg, () => Promise.resolve({ status: 200, body: 'late' }), logger));
      },
      'could not subscribe',
    );
    await stopping.close();
    late.open();
    await late.opened;
    // The wait's own continuation runs after `late.opened`'s; one more turn lets it run before the check.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await server.flush();
    expect(subscribed).toBe(1);
    await expect(client.request(lateSubject, '{}', { timeout: 1_000 })).rejects.toThrow(/no responders/i);
  });

  it('logs a subscribe that fails once ready, rather than leave it unhandled', async () => {
    const lines: unknown[][] = [];
    const watching = Object.assign(new Logger('test'), { error: (...args: unknown[]) => void lines.push(args) });
    const responders = new NatsResponders(server, 'test', watching);
    const ready = gate();
    responders.subscribeWhenReady(
      false,
      ready.opened,
      () => {
        throw new Error('connection closed');
      },
      'could not subscribe to the queries',
    );
    ready.open();
    await ready.opened;
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      [{ err: expect.objectContaining({ message: 'connection closed' }) }, 'could not subscribe to the queries'],
    ]);
    await responders.close();
  });

  it('tells the caller when NATS refuses the reply itself, rather than leave it to time out', async () => {
    const responders = new NatsResponders(server, 'test', logger);
    const large = subject('large');
    // Larger than the server's max_payload (1 MiB by default).
    const limit = server.info!.max_payload;
    responders.on(large, (msg) =>
      replyTo(msg, () => Promise.resolve({ status: 200, body: 'x'.repeat(limit) }), logger),
    );
    await server.flush();

    const reply = (await client.request(large, '{}', { timeout: 5_000 })).json<{ status: number; body: unknown }>();
    expect(reply).toMatchObject({ status: 500, body: { status: 500 } });
    await responders.close();
  });
});
