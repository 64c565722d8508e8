import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { succeeds, waitUntil } from '../../../test/support/app-process';
import { startNatsServer, type PrivateNats } from '../../../test/support/nats-server';

const prefix = 'consumer-loss';

/** A NATS server of a test's own, holding what the engine's projections would have made, and the consumer on it. */
interface ConsumerOnNats {
  /** Undefined once `stopNats` stopped it. */
  readonly server: PrivateNats | undefined;
  /** The test's connection to it (the engine's side). */
  readonly nc: NatsConnection;
  readonly output: string;
  /** The consumer's exit code once it exited. */
  readonly exit: number | null | undefined;
  /** How many store-day queries the consumer has sent. */
  readonly asked: number;
  /** Whether the test's engine answers them. */
  answering: boolean;
  credentials(password: string): void;
  start(): void;
  /** Started, and following: it has printed the store's day. */
  following(): Promise<void>;
  publish(n: number): Promise<unknown>;
  kill(signal: NodeJS.Signals): void;
  stopNats(): Promise<void>;
  close(): Promise<void>;
}

async function consumerOnNats(): Promise<ConsumerOnNats> {
  const dir = mkdtempSync(path.join(tmpdir(), 'consumer-loss-'));
  const credentials = (password: string) =>
    writeFileSync(path.join(dir, 'nats.conf'), `authorization { user: app, password: ${password} }\n`);
  credentials('first-password');
  let server: PrivateNats | undefined = await startNatsServer({
    args: ['-c', path.join(dir, 'nats.conf')],
    probe: { user: 'app', pass: 'first-password' },
  });
  const nc: NatsConnection = await connect({
    servers: server.url,
    user: 'app',
    pass: 'first-password',
    maxReconnectAttempts: -1,
  });
  // What the engine's projections would have made: the feed's stream, the terminals' bucket, the day's answer.
  await (await jetstreamManager(nc)).streams.add({ name: 'CONSUMER_LOSS_EVENTS', subjects: [`${prefix}.v1.events.>`] });
  await new Kvm(nc).create(`${prefix}_terminals`, { history: 1 });
  let child: ChildProcess | undefined;
  const consumer = {
    get server() {
      return server;
    },
    nc,
    output: '',
    exit: undefined as number | null | undefined,
    asked: 0,
    answering: true,
    credentials,
    start() {
      // With seconds to run for, as a supervisor may start it: a stop signal ends it before they run out.
      const args = ['-r', './scripts/register-ts.cjs', 'examples/consumer/src/main.ts', 's1', 'T1', '600'];
      child = spawn(process.execPath, args, {
        cwd: path.resolve(__dirname, '../../..'),
        env: {
          PATH: process.env.PATH,
          NATS_URL: `nats://app:first-password@127.0.0.1:${new URL(server!.url).port}`,
          NATS_PREFIX: prefix,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (chunk: Buffer) => (consumer.output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (consumer.output += chunk.toString()));
      child.on('exit', (code) => (consumer.exit = code));
    },
    async following() {
      consumer.start();
      await waitUntil(() => consumer.output.includes('store-day s1'), 30_000, 'the consumer following').catch(
        (error: Error) => {
          throw new Error(`${error.message}: ${consumer.output}`);
        },
      );
    },
    publish: (n: number) =>
      jetstream(nc).publish(
        `${prefix}.v1.events.s1.T1.PaymentRequested`,
        JSON.stringify({ id: `e${n}`, type: 'PaymentRequested', streamName: `payment-${n}`, position: String(n) }),
        { msgID: `e${n}` },
      ),
    kill(signal: NodeJS.Signals) {
      child!.kill(signal);
    },
    async stopNats() {
      await server?.stop();
      server = undefined;
    },
    async close() {
      if (child && consumer.exit === undefined) {
        child.kill('SIGKILL');
        await waitUntil(() => consumer.exit !== undefined, 10_000, 'the consumer gone');
      }
      await nc.close();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  nc.subscribe(`${prefix}.v1.query.store-day`, {
    callback: (_error, message) => {
      consumer.asked += 1;
      if (consumer.answering) message.respond(JSON.stringify({ status: 200, body: { currencies: {} } }));
    },
  });
  return consumer;
}

/**
 * `npm run example:consumer` across NATS going away, on a NATS server of the test's own: it follows on after a
 * restart longer than nats.js's default reconnect gives (10 tries 2 s apart), and says why, with exit code 1, when
 * its connection closes for good.
 */
describe('the example consumer when NATS goes away', () => {
  // The long outage (24 s), on a NATS server of its own, runs beside the other tests: begun before them, its test
  // awaits it after them, so that a failure is that test's, not an unhandled rejection.
  const followsOnAfterLongOutage = async () => {
    const consumer = await consumerOnNats();
    try {
      await consumer.following();
      await consumer.publish(1);
      await waitUntil(() => consumer.output.includes('at position 1'), 10_000, 'the first event');
      await consumer.server!.restart(24_000);
      await waitUntil(() => succeeds(consumer.nc.flush()), 20_000, 'NATS back');
      await consumer.publish(2);
      await waitUntil(() => consumer.output.includes('at position 2'), 20_000, 'the event after the restart');
      expect(consumer.exit).toBeUndefined();
    } finally {
      await consumer.close();
    }
  };
  let longOutage: Promise<void>;
  beforeAll(() => {
    longOutage = followsOnAfterLongOutage();
    longOutage.catch(() => undefined);
  });

  describe('each on a NATS server of its own', () => {
    let consumer: ConsumerOnNats;
    beforeEach(async () => {
      consumer = await consumerOnNats();
    });
    afterEach(() => consumer.close());

    it('stops on SIGTERM while NATS is away, with exit code 0', async () => {
      await consumer.following();
      await consumer.stopNats();
      consumer.kill('SIGTERM');
      await waitUntil(() => consumer.exit !== undefined, 20_000, 'the consumer stopped');
      expect({ exit: consumer.exit, output: consumer.output }).toEqual({
        exit: 0,
        output: expect.not.stringContaining('stopped:'),
      });
    }, 60_000);

    it('stops on SIGTERM with exit code 0 while a request of its own is unanswered', async () => {
      // The stop drains the connection under the request, which then fails: that is the stop, not an error. A set-up
      // request (the bucket's, the feed's) cut short by a stop while NATS is away fails the same way.
      consumer.answering = false;
      consumer.start();
      await waitUntil(() => consumer.asked > 0, 30_000, 'the store-day query asked');
      consumer.kill('SIGTERM');
      await waitUntil(() => consumer.exit !== undefined, 20_000, 'the consumer stopped');
      expect({ exit: consumer.exit, output: consumer.output }).toEqual({
        exit: 0,
        output: expect.not.stringContaining('stopped:'),
      });
    }, 60_000);

    it('says why and stops with exit code 1 when its connection closes for good', async () => {
      await consumer.following();
      // Following the feed first: a reload while it was still setting up its watches could answer one of their
      // JetStream requests "JetStream not enabled for account" (the server's accounts made again), which stopped it
      // with that.
      await consumer.publish(1);
      await waitUntil(() => consumer.output.includes('at position 1'), 10_000, 'the first event');
      // The password changes under the running server: it drops the consumer and refuses it when it comes back.
      consumer.credentials('second-password');
      consumer.server!.reload();
      await waitUntil(() => consumer.exit !== undefined, 30_000, 'the consumer stopped');
      expect(consumer.exit).toBe(1);
      expect(consumer.output).toContain('the example consumer stopped: the NATS connection closed');
      expect(consumer.output).not.toContain('first-password');
    }, 60_000);
  });

  it('follows on after NATS was away longer than nats.js’s default reconnect gives', () => longOutage, 90_000);
});
