import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@app/messaging';
import { loadConfig } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { SignedOutSessions, signOutKey } from '../src/operators/signed-out-sessions';
import { ProjectionsConfig } from '../src/projections.config';

describe('dashboard sign-outs, kept in NATS KV for every instance', () => {
  const prefix = uniquePrefix();
  let nats: NatsConnection;
  const opened: SignedOutSessions[] = [];
  const open = async (hours: number) => {
    const config = loadConfig(ProjectionsConfig, {
      EVENT_STORE_URL: 'sqlite::memory:',
      NATS_PREFIX: prefix,
      DASHBOARD_SESSION_HOURS: String(hours),
    });
    const signedOut = new SignedOutSessions(nats, config);
    await signedOut.onModuleInit();
    opened.push(signedOut);
    return signedOut;
  };
  const bucket = natsNames(prefix).buckets.dashboardSignOuts;
  const later = () => Date.now() + 3_600_000;

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    for (const signedOut of opened) signedOut.onModuleDestroy();
    await removeNatsState(prefix);
    await nats.close();
  });

  it('keeps sign-outs as long as sessions last now, though the bucket was made when they lasted less', async () => {
    await open(1);
    await open(48);
    // An instance whose sessions are shorter leaves the longer age: it would otherwise forget the other's sign-outs.
    await open(12);
    const { config } = await (await jetstreamManager(nats)).streams.info(`KV_${bucket}`);
    expect(config.max_age).toBe(48 * 3_600_000 * 1e6);
  });

  it('starts with an entry that is no sign-out among them, leaving it out', async () => {
    await (await new Kvm(nats).open(bucket)).put('not-a-sign-out', 'garbage');
    const first = await open(12);
    await first.signOut(signOutKey('token-1'), later());
    const second = await open(12);
    expect(second.has(signOutKey('token-1'))).toBe(true);
    expect(second.has('not-a-sign-out')).toBe(false);
  });

  it('watches again when its watch ends, and sees the sign-outs made meanwhile', async () => {
    const here = await open(12);
    const there = await open(12);
    (here as unknown as { watching: { stop(): void } }).watching.stop();
    await there.signOut(signOutKey('token-2'), later());
    await waitUntil(() => here.has(signOutKey('token-2')), 5_000, 'the sign-out seen after the watch ended');
  });
});
