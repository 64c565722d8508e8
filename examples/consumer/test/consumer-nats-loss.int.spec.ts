import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { succeeds, waitUntil } from '../../../test/support/app-process';
import { startNatsServer, type PrivateNats } from '../../../test/support/nats-server';

/**
 * `npm run example:consumer` across NATS going away, on a NATS server of the test's own: it follows on after a
 * restart longer than nats.js's default reconnect gives (10 tries 2 s apart), and says why, with exit code 1, when
 * its connection closes for good.
 */
describe('the example consumer when NATS goes away', () => {
  const prefix = 'consumer-loss';
  let dir: string;
  let server: PrivateNats | undefined;
  let nc: NatsConnection;
  let child: ChildProcess | undefined;
  let output = '';
  let exit: number | null | undefined;
  /** How many store-day queries the consumer has sent, and whether the test's engine answers them. */
  let asked: number;
  let answering: boolean;
  const credentials = (password: string) =>
    writeFileSync(path.join(dir, 'nats.conf'), `authorization { user: app, password: ${password} }\n`);

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'consumer-loss-'));
    credentials('first-password');
    const started = await startNatsServer({
      args: ['-c', path.join(dir, 'nats.conf')],
      probe: { user: 'app', pass: 'first-password' },
    });
    server = started;
    nc = await connect({ servers: started.url, user: 'app', pass: 'first-password', maxReconnectAttempts: -1 });
    // What the engine's projections would have made: the feed's stream, the terminals' bucket, the day's answer.
    await (
      await jetstreamManager(nc)
    ).streams.add({ name: 'CONSUMER_LOSS_EVENTS', subjects: [`${prefix}.v1.events.>`] });
    await new Kvm(nc).create(`${prefix}_terminals`, { history: 1 });
    asked = 0;
    answering = true;
    nc.subscribe(`${prefix}.v1.query.store-day`, {
      callback: (_error, message) => {
        asked += 1;
        if (answering) message.respond(JSON.stringify({ status: 200, body: { currencies: {} } }));
      },
    });
    output = '';
    exit = undefined;
    child = undefined;
  });
  afterEach(async () => {
    if (child && exit === undefined) {
      child.kill('SIGKILL');
      await waitUntil(() => exit !== undefined, 10_000, 'the consumer gone');
    }
    await nc.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () => {
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
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => (exit = code));
  };
  /** Started, and following: it has printed the store's day. */
  const following = async () => {
    start();
    await waitUntil(() => output.includes('store-day s1'), 30_000, 'the consumer following').catch((error: Error) => {
      throw new Error(`${error.message}: ${output}`);
    });
  };

  const publish = (n: number) =>
    jetstream(nc).publish(
      `${prefix}.v1.events.s1.T1.PaymentRequested`,
      JSON.stringify({ id: `e${n}`, type: 'PaymentRequested', streamName: `payment-${n}`, position: String(n) }),
      { msgID: `e${n}` },
    );

  it('follows on after NATS was away longer than nats.js’s default reconnect gives', async () => {
    await following();
    await publish(1);
    await waitUntil(() => output.includes('at position 1'), 10_000, 'the first event');
    await server!.restart(24_000);
    await waitUntil(() => succeeds(nc.flush()), 20_000, 'NATS back');
    await publish(2);
    await waitUntil(() => output.includes('at position 2'), 20_000, 'the event after the restart');
    expect(exit).toBeUndefined();
  }, 90_000);

  it('stops on SIGTERM while NATS is away, with exit code 0', async () => {
    await following();
    await server!.stop();
    server = undefined;
    child!.kill('SIGTERM');
    await waitUntil(() => exit !== undefined, 20_000, 'the consumer stopped');
    expect({ exit, output }).toEqual({ exit: 0, output: expect.not.stringContaining('stopped:') });
  }, 60_000);

  it('stops on SIGTERM with exit code 0 while a request of its own is unanswered', async () => {
    // The stop drains the connection under the request, which then fails: that is the stop, not an error. A set-up
    // request (the bucket's, the feed's) cut short by a stop while NATS is away fails the same way.
    answering = false;
    start();
    await waitUntil(() => asked > 0, 30_000, 'the store-day query asked');
    child!.kill('SIGTERM');
    await waitUntil(() => exit !== undefined, 20_000, 'the consumer stopped');
    expect({ exit, output }).toEqual({ exit: 0, output: expect.not.stringContaining('stopped:') });
  }, 60_000);

  it('says why and stops with exit code 1 when its connection closes for good', async () => {
    await following();
    // Following the feed first: a reload while it was still setting up its watches could answer one of their JetStream
    // requests "JetStream not enabled for account" (the server's accounts made again), which stopped it with that.
    await publish(1);
    await waitUntil(() => output.includes('at position 1'), 10_000, 'the first event');
    // The password changes under the running server: it drops the consumer and refuses it when it comes back.
    credentials('second-password');
    server!.reload();
    await waitUntil(() => exit !== undefined, 30_000, 'the consumer stopped');
    expect(exit).toBe(1);
    expect(output).toContain('the example consumer stopped: the NATS connection closed');
    expect(output).not.toContain('first-password');
  }, 60_000);
});
