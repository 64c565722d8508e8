import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { connectNats, consumerInboxPrefix, consumerUserConfig, natsNames } from '@app/messaging';
import { startNatsServer, type PrivateNats } from './support/nats-server';

const root = path.resolve(__dirname, '..');
const CONFIG = path.join(root, 'deploy/nats/nats-server.conf');
const ENGINE_PASSWORD = 'engine-password-for-tests';
const CONSUMER_PASSWORD = 'store-1-pos-password-for-tests';
const names = natsNames('payments');

/**
 * deploy/nats/nats-server.conf, in a real nats-server of its own (its own port and JetStream folder):
 * the engine may do everything; the example consumer `store-1-pos` reads store-1's changes and KV
 * documents and nothing of store-2's, and can neither query nor command.
 */
describe('NATS permissions (deploy/nats/nats-server.conf) in a real nats-server', () => {
  let server: PrivateNats;
  let url: string;
  let engine: NatsConnection;
  let consumer: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer({
      args: ['-c', CONFIG],
      env: { NATS_ENGINE_PASSWORD: ENGINE_PASSWORD, NATS_STORE_1_POS_PASSWORD: CONSUMER_PASSWORD },
      probe: { user: 'engine', pass: ENGINE_PASSWORD },
    });
    url = server.url;
    const port = new URL(url).port;

    // The engine's apps connect with the credentials in NATS_URL, as docker-compose.yml configures them.
    engine = await connectNats(`nats://engine:${ENGINE_PASSWORD}@127.0.0.1:${port}`, 'test-engine');
    const kvm = new Kvm(engine);
    for (const [bucket, keys] of [
      [names.buckets.terminals, ['store-1.T-1', 'store-2.T-9']],
      [names.buckets.stores, ['store-1', 'store-2']],
      [names.buckets.storeDays, ['store-1.2026-11-24', 'store-2.2026-11-24']],
    ] as const) {
      const kv = await kvm.create(bucket, { history: 1 });
      for (const key of keys) await kv.put(key, JSON.stringify({ key }));
    }
    consumer = await connect({
      servers: url,
      user: 'store-1-pos',
      pass: CONSUMER_PASSWORD,
      inboxPrefix: consumerInboxPrefix('store-1-pos'),
    });
  });

  afterAll(async () => {
    await consumer?.close();
    await engine?.close();
    await server?.stop();
  });

  it('holds the entry `npm run nats-consumer -- store-1-pos store-1` prints', () => {
    const entry = consumerUserConfig(
      'payments',
      { user: 'store-1-pos', stores: ['store-1'] },
      'NATS_STORE_1_POS_PASSWORD',
    );
    const indented = entry
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n');
    expect(readFileSync(CONFIG, 'utf8')).toContain(indented);
  });

  it('is printed by a command that refuses a flag it does not know, and a prefix the apps would refuse', () => {
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['-r', './scripts/register-ts.cjs', 'libs/messaging/src/nats-consumer.cli.ts', ...args],
        {
          cwd: root,
          env: { PATH: process.env.PATH },
          encoding: 'utf8',
        },
      );
    const typo = cli('shop-b', 'oslo-1', '--prefx', 'x');
    expect(typo).toMatchObject({ status: 2, stdout: '' });
    expect(typo.stderr).toMatch(/^Unknown option '--prefx'\nusage: npm run nats-consumer/);
    const help = cli('--help');
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: npm run nats-consumer[\s\S]*NATS_<USER>_PASSWORD/);
    expect(cli('shop-b', 'oslo-1', '--command')).toMatchObject({ status: 2, stdout: '' });
    expect(cli('shop-b', 'oslo-1', '--prefix', 'a.b')).toMatchObject({
      status: 2,
      stdout: '',
      stderr: expect.stringContaining('NATS_PREFIX must be 1-32 lower-case letters, digits, _ or -, not "a.b"'),
    });
    const granted = cli('shop-b', 'oslo-1', '--commands', '--prefix', 'chain');
    expect(granted.status).toBe(0);
    expect(granted.stdout).toContain('"$JS.API.DIRECT.GET.KV_chain_stores.$KV.chain_stores.oslo-1"');
    expect(granted.stdout).toContain('"chain.v1.cmd.start"');
    // A back office resolves reviews over NATS too; its POS key decides whether it may.
    expect(granted.stdout).toContain('"chain.v1.cmd.resolve-review"');
    // Through npm without `--`: npm keeps --commands for itself, and the entry would lack the commands asked for.
    const throughNpm = spawnSync('npm', ['run', '--silent', 'nats-consumer', 'shop-b', 'oslo-1', '--commands'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      encoding: 'utf8',
    });
    expect(throughNpm).toMatchObject({ status: 2, stdout: '' });
    expect(throughNpm.stderr).toContain(
      'npm took --commands as a setting of its own: the words go after --, as in npm run nats-consumer -- <user> <storeId>... --commands\n',
    );
    // `--prefix` without `--`: npm takes it for its own setting, the folder of package.json, and fails before the
    // command runs (nothing of ours can refuse it); the help, and the docs, give the `--` and NATS_PREFIX forms.
    const prefixThroughNpm = spawnSync('npm', ['run', 'nats-consumer', 'shop-b', 'oslo-1', '--prefix', 'chain'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      encoding: 'utf8',
    });
    expect(prefixThroughNpm.status).not.toBe(0);
    expect(prefixThroughNpm.stdout).not.toContain('nats-consumer.cli.ts');
    expect(prefixThroughNpm.stderr).toContain(path.join(root, 'chain', 'package.json'));
    expect(help.stdout).toContain(
      'Through npm the words go after --: npm takes --commands and --prefix before it for settings of its own',
    );
    const fromEnvironment = spawnSync('npm', ['run', '--silent', 'nats-consumer', '--', 'shop-b', 'oslo-1'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NATS_PREFIX: 'chain' },
      encoding: 'utf8',
    });
    expect(fromEnvironment.status).toBe(0);
    expect(fromEnvironment.stdout).toContain('"$JS.API.DIRECT.GET.KV_chain_stores.$KV.chain_stores.oslo-1"');
    // Where its password goes: nats-server does not start on a variable its environment lacks.
    expect(granted.stderr).toContain(
      "Its password is NATS_SHOP_B_PASSWORD in nats-server's environment, which must have it before the entry is added",
    );
    expect(granted.stderr).toContain('services: nats: environment: NATS_SHOP_B_PASSWORD: ${NATS_SHOP_B_PASSWORD}');
  });

  it('refuses a wrong password, without the password in the error', async () => {
    const error = (await connectNats(`nats://engine:not-the-password@${url.slice('nats://'.length)}`, 'x').catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(/does not answer/);
    expect(error.message).not.toContain('not-the-password');
  });

  it('lets the consumer follow its own store’s changes, and refuses another store’s', async () => {
    const own = consumer.subscribe(`${names.changes.terminal('store-1', 'T-1')}`, { max: 1 });
    const other = consumer.subscribe(names.changes.terminal('store-2', 'T-9'));
    const refused = other.closed;
    await consumer.flush();
    engine.publish(names.changes.terminal('store-1', 'T-1'), '{"status":"idle"}');
    for await (const msg of own) expect(msg.json()).toEqual({ status: 'idle' });
    expect(String(await refused)).toMatch(/Permissions Violation for Subscription to "payments\.v1\.terminal\.store-2/);
  });

  it('lets the consumer follow its own store’s activity (the ends the dashboard lists), and refuses another store’s', async () => {
    const own = consumer.subscribe(names.changes.activity('store-1'), { max: 1 });
    const other = consumer.subscribe(names.changes.activity('store-2'));
    const refused = other.closed;
    await consumer.flush();
    engine.publish(names.changes.activity('store-1'), '{"id":"p:1"}');
    for await (const msg of own) expect(msg.json()).toEqual({ id: 'p:1' });
    expect(String(await refused)).toMatch(/Permissions Violation for Subscription to "payments\.v1\.activity\.store-2/);
  });

  it('lets the consumer read its own store’s documents by direct get, and no other store’s', async () => {
    const kvm = new Kvm(consumer);
    const terminals = await kvm.open(names.buckets.terminals, { allow_direct: true });
    const stores = await kvm.open(names.buckets.stores, { allow_direct: true });
    const days = await kvm.open(names.buckets.storeDays, { allow_direct: true });
    expect((await terminals.get('store-1.T-1'))?.json()).toEqual({ key: 'store-1.T-1' });
    expect((await stores.get('store-1'))?.json()).toEqual({ key: 'store-1' });
    expect((await days.get('store-1.2026-11-24'))?.json()).toEqual({ key: 'store-1.2026-11-24' });
    await expect(terminals.get('store-2.T-9')).rejects.toThrow(/Permissions Violation/);
    await expect(stores.get('store-2')).rejects.toThrow(/Permissions Violation/);
    await expect(days.get('store-2.2026-11-24')).rejects.toThrow(/Permissions Violation/);
    // Not by message get, whose key travels in the body where the server cannot check it.
    const byBody = await kvm.open(names.buckets.stores, { allow_direct: false });
    await expect(byBody.get('store-1')).rejects.toThrow(/Permissions Violation/);
  });

  it('keeps the consumer from listing the keys of a bucket, which name every store, terminal and day', async () => {
    const jsm = await jetstreamManager(consumer);
    for (const bucket of [names.buckets.terminals, names.buckets.stores, names.buckets.storeDays])
      await expect(jsm.streams.info(`KV_${bucket}`, { subjects_filter: '>' })).rejects.toThrow(/Permissions Violation/);
    // What it may read it still reads: a bucket opened for direct gets needs no stream info.
    const kv = await new Kvm(consumer).open(names.buckets.storeDays, { allow_direct: true });
    expect((await kv.get('store-1.2026-11-24'))?.json()).toEqual({ key: 'store-1.2026-11-24' });
  });

  it("keeps the consumer from other connections' answers: it gets its own, on its inbox prefix", async () => {
    const others = consumer.subscribe('_INBOX.>');
    const refused = others.closed;
    await consumer.flush();
    expect(String(await refused)).toMatch(/Permissions Violation for Subscription to "_INBOX\.>"/);
    // The engine's own answers (a KV read of store-2) go where the consumer cannot listen.
    expect((await (await new Kvm(engine).open(names.buckets.stores)).get('store-2'))?.json()).toEqual({
      key: 'store-2',
    });
  });

  it('keeps the consumer from queries and commands, whose store is in the body', async () => {
    await expect(consumer.request(names.queries.store, '{"storeId":"store-2"}', { timeout: 2_000 })).rejects.toThrow(
      /Permissions Violation/,
    );
    await expect(consumer.request(names.commands.start, '{}', { timeout: 2_000 })).rejects.toThrow(
      /Permissions Violation/,
    );
  });
});

describe('NATS permissions of a POS back end (`npm run nats-consumer -- <user> <store> --commands`)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nats-pos-'));
  let server: PrivateNats;
  let engine: NatsConnection;
  let pos: NatsConnection;

  beforeAll(async () => {
    const config = path.join(dir, 'nats-server.conf');
    const entry = consumerUserConfig(
      'payments',
      { user: 'store-1-backend', stores: ['store-1'], commands: true },
      'NATS_STORE_1_BACKEND_PASSWORD',
    );
    writeFileSync(
      config,
      `authorization {\n  users = [\n    { user: "engine", password: $NATS_ENGINE_PASSWORD }\n${entry}\n  ]\n}\n`,
    );
    server = await startNatsServer({
      args: ['-c', config],
      env: { NATS_ENGINE_PASSWORD: ENGINE_PASSWORD, NATS_STORE_1_BACKEND_PASSWORD: CONSUMER_PASSWORD },
      probe: { user: 'engine', pass: ENGINE_PASSWORD },
    });
    engine = await connect({ servers: server.url, user: 'engine', pass: ENGINE_PASSWORD });
    // The command service's part, as far as permissions go: every subject a POS key is asked on answers.
    const subjects = [...Object.values(names.commands), ...Object.values(names.queries)];
    for (const subject of subjects) engine.subscribe(subject, { callback: (_error, msg) => void msg.respond(subject) });
    await engine.flush();
    pos = await connect({
      servers: server.url,
      user: 'store-1-backend',
      pass: CONSUMER_PASSWORD,
      inboxPrefix: consumerInboxPrefix('store-1-backend'),
    });
  });

  afterAll(async () => {
    await pos?.close();
    await engine?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets it send the commands and read back what they started, and keeps it from the read models’ queries', async () => {
    const { commands, queries } = names;
    for (const subject of [
      ...Object.values(commands),
      queries.payments,
      queries.payment,
      queries.refund,
      queries.operation,
    ])
      expect((await pos.request(subject, '{}', { timeout: 2_000 })).string()).toBe(subject);
    for (const subject of [queries.terminal, queries.store, queries.storeDay, queries.storeTerminals])
      await expect(pos.request(subject, '{}', { timeout: 2_000 })).rejects.toThrow(/Permissions Violation/);
  });
});
