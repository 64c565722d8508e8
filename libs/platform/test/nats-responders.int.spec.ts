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
