// `npm start`: the whole engine on one machine, on its embedded default (SQLite log, the simulator as
// Dintero, NATS at NATS_URL). Checks NATS first, starts the simulator and the engine (command, ingest and
// projections in one process, `apps/engine`, each on its own port), seeds a demo chain and drives POS traffic
// through the real APIs (`npm start -- --no-demo` for the engine alone), and on Ctrl-C cancels the demo's
// open payments and stops both processes cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_STORES, TERMINALS_PER_STORE, closeDemoStore, driveTraffic, seedBackoffice, seedDemo } from './demo.mjs';
import { appPorts, claimDataDir, dataDirOf, preflight, releaseDataDir, withoutCredentials } from './preflight.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** A module of the project as built into dist/ (`file` under it): loaded only after the build below. */
const built = (file) => createRequire(import.meta.url)(path.join(root, 'dist', file));
// Read before anything is made or started: `--help` (or `--no-dmeo`) was once ignored, and the whole demo ran.
readArguments(process.argv.slice(2));
// DATA_DIR: where the demo's log, key and secrets live (./data); the e2e test gives each run its own.
const dataDir = dataDirOf();
const problems = await preflight();
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
// Held until this script exits: a second npm start on the same folder (other ports) is refused by preflight.
claimDataDir(dataDir);
// Built here, after the arguments and the checks, not by the npm script before this one: npm gives `npm start -- …`'s
// words to the script's last command only, so `--help` came after a build, or after a refusal of a port in use. And
// before the demo's key files are made, which use the built code: on a fresh clone (no dist/) they came first, and
// `npm ci && npm start` ended at once on a module not found.
const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) {
  releaseDataDir(dataDir);
  process.exit(build.status ?? 1);
}
const demo = !process.argv.includes('--no-demo');
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
// EVENT_STORE_URL, else events.db in DATA_DIR: found by the one function the apps' configuration and
// `npm run projections:rebuild` use, so that a rebuild given this DATA_DIR reads this log.
const { eventStoreUrlOf, sqliteFileOf } = built('libs/event-store/src/event-store-url.js');
const eventStoreUrl = eventStoreUrlOf({ ...process.env, DATA_DIR: dataDir });
const natsPrefix = process.env.NATS_PREFIX ?? 'payments';
const posClientsFile = process.env.POS_CLIENTS_FILE ?? demoPosClients();
const operatorsFile = process.env.OPERATORS_FILE ?? demoOperators();
const secrets = demoSecrets();
// Each app keeps its documented port and port variable; the three engine apps share one process.
const apps = appPorts();
/** The processes: the simulator (Dintero is another system) and the engine. */
const processes = [
  {
    name: 'dintero-simulator',
    main: 'dintero-simulator',
    // The simulator keeps its world in the data folder across restarts, as Dintero would (the stores and terminals
    // registered, the transactions made); ids of its own each start, so that a new session or transaction is never
    // taken for one of an earlier run.
    env: {
      PORT: String(apps[0].port),
      SIM_SEED: process.env.SIM_SEED ?? String(randomInt(1, 2 ** 31)),
      SIM_STATE_FILE: process.env.SIM_STATE_FILE ?? path.join(dataDir, 'dintero-simulator.json'),
    },
  },
  {
    name: 'engine',
    main: 'engine',
    env: Object.fromEntries(apps.slice(1).map(({ variable, port }) => [variable, String(port)])),
  },
];
const url = (name) => `http://127.0.0.1:${apps.find((app) => app.name === name).port}`;

/** Creates a file once under ./data, readable by this user only. */
function secretFile(name, make) {
  const file = path.join(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, make(), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return file;
}

/**
 * A demo key file made once under ./data: `list` of one entry (its key's hash in `file`) and the key itself in
 * `keyFile`, readable by this user only.
 */
function demoKeyFile({ file, keyFile, prefix, list, entry }) {
  const target = path.join(dataDir, file);
  if (existsSync(target)) return target;
  const { hashApiKey, newApiKey } = built('libs/platform/src/auth/api-keys.js');
  const key = newApiKey(prefix);
  secretFile(keyFile, () => `${key}\n`);
  writeFileSync(target, `${JSON.stringify({ [list]: [{ ...entry, keySha256: hashApiKey(key) }] }, null, 2)}\n`);
  return target;
}

/** Without POS_CLIENTS_FILE, a head-office key for the demo: data/pos-clients.json and data/demo-pos-key. */
function demoPosClients() {
  return demoKeyFile({
    file: 'pos-clients.json',
    keyFile: 'demo-pos-key',
    prefix: 'pos',
    list: 'clients',
    entry: { id: 'demo-head-office', stores: ['*'], registry: true },
  });
}

/**
 * Without OPERATORS_FILE, a dashboard operator for the demo who sees every store: data/operators.json and
 * data/demo-operator-key.
 */
function demoOperators() {
  return demoKeyFile({
    file: 'operators.json',
    keyFile: 'demo-operator-key',
    prefix: 'op',
    list: 'operators',
    entry: { id: 'demo-operator', stores: ['*'] },
  });
}

/** The simulator signs callbacks and webhooks as Dintero does, and ingest checks them: demo secrets, made once. */
function demoSecrets() {
  const file = secretFile('demo-secrets.json', () =>
    JSON.stringify({ callback: randomBytes(24).toString('hex'), webhook: randomBytes(24).toString('hex') }),
  );
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** `--no-demo` alone; `--help` prints what `npm start` does and exits, and any other word is refused. */
function readArguments(args) {
  // `npm start --no-demo` (no `--`): npm takes the flag as a setting of its own, with a warning about "--demo", and
  // hands the script nothing; the whole demo ran. npm tells of it only in npm_config_demo ("" for --no-demo).
  if (process.env.npm_config_demo !== undefined) {
    process.stderr.write(
      'npm took --no-demo (or --demo) as a setting of its own and gave npm start nothing: its words go after --, ' +
        'as in npm start -- --no-demo\n',
    );
    process.exit(2);
  }
  const unknown = args.filter((arg) => arg !== '--no-demo');
  if (unknown.length === 0) return;
  const help = unknown.includes('--help') || unknown.includes('-h');
  const ports = appPorts({})
    .sort((a, b) => a.port - b.port)
    .map(({ variable, value }) => `${variable} (${value})`);
  const text = [
    ...(help
      ? []
      : [`npm start takes --no-demo or --help, not ${unknown.map((arg) => JSON.stringify(arg)).join(' ')}`]),
    'usage: npm start [-- --no-demo]',
    'Builds and runs the whole engine on one machine: the command service, ingest and projections in one process and',
    'the Dintero simulator, on the SQLite event log in DATA_DIR (./data) and the NATS server at NATS_URL',
    '(nats://127.0.0.1:4222), then onboards a demo chain of stores and terminals and drives payments through it.',
    '  --no-demo  the engine alone: no demo chain, no traffic',
    '  --help     this',
    `Ports: ${ports.join(', ')}`,
    'NATS_PREFIX (payments) names its subjects and buckets: give each engine on one NATS server its own.',
    'Ctrl-C stops everything cleanly. README.md says the rest.',
  ].join('\n');
  (help ? process.stdout : process.stderr).write(`${text}\n`);
  process.exit(help ? 0 : 2);
}

async function healthy(base, deadline) {
  for (;;) {
    const response = await fetch(`${base}/health`).catch(() => undefined);
    if (response?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${base} is not healthy`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const env = {
  ...process.env,
  // Warnings and errors only, so that the demo's lines can be read; LOG_LEVEL=info for every request.
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  NATS_URL: natsUrl,
  EVENT_STORE_URL: eventStoreUrl,
  POS_CLIENTS_FILE: posClientsFile,
  OPERATORS_FILE: operatorsFile,
  // A sandbox account: the demo's devices have its sandbox serials (SIMULATED-{account}-NNN).
  DINTERO_ACCOUNT_ID: process.env.DINTERO_ACCOUNT_ID ?? 'T12345678',
  DINTERO_API_URL: process.env.DINTERO_API_URL ?? url('dintero-simulator'),
  DINTERO_CHECKOUT_URL: process.env.DINTERO_CHECKOUT_URL ?? url('dintero-simulator'),
  INGEST_PUBLIC_URL: process.env.INGEST_PUBLIC_URL ?? url('ingest-service'),
  DINTERO_CALLBACK_SECRET: process.env.DINTERO_CALLBACK_SECRET ?? secrets.callback,
  DINTERO_WEBHOOK_SECRET: process.env.DINTERO_WEBHOOK_SECRET ?? secrets.webhook,
  // The virtual terminals answer a few seconds after they prompt, as a customer would.
  SIM_TERMINAL_DELAY_MS: process.env.SIM_TERMINAL_DELAY_MS ?? '3000',
};

let stopping = false;
let traffic;
let closing;
const demoStopped = new AbortController();
const children = processes.map(({ name, main, env: own }) => {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist/apps', main, 'src/main.js')], {
    cwd: root,
    env: { ...env, ...own },
    // An IPC channel, used for nothing but its end: should this script be killed outright (SIGKILL), which leaves
    // it no time to stop them, the apps see the channel close and stop themselves (`onStopRequest`).
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // A process group of its own: Ctrl-C reaches this script only, which stops the demo first (cancelling
    // its open payments through the running apps) and then the apps.
    detached: true,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the engine`);
      void stop(1);
    }
  });
  return { name, child };
});

async function stop(exitCode) {
  if (stopping) return;
  stopping = true;
  demoStopped.abort();
  // The demo's payments stop first: an end of day under way waits for its terminals to be free.
  const cancelled = traffic ? traffic.stop() : undefined;
  if (traffic) console.log('stopping the demo: cancelling its open payments…');
  await closing;
  if (traffic) {
    console.log(`cancelled ${await cancelled} open payments`);
    // The simulator's callbacks and webhooks still on their way (a capture that beat a cancel, say) reach
    // ingest before it stops, so that no payment is left open and no terminal claimed until the next start.
    await fetch(`${url('dintero-simulator')}/_control/idle`, {
      method: 'POST',
      signal: AbortSignal.timeout(15_000),
    }).catch((error) => console.error(`the simulator did not settle its deliveries: ${error.message}`));
  }
  // The engine flushes its log commits and drains NATS on SIGTERM, as the simulator stops; wait for both.
  await Promise.all(
    children.map(({ child }) =>
      child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
    ),
  );
  console.log(leftBehind());
  process.exit(exitCode);
}

/**
 * The last line: what the engine leaves for its next start. Read from the embedded log itself once every app
 * has stopped, since nothing else is left to ask; on KurrentDB the reconciler of the next start settles it.
 */
function leftBehind() {
  const file = sqliteFileOf(eventStoreUrl);
  if (file === undefined || !existsSync(file)) return 'stopped.';
  const Database = createRequire(import.meta.url)('better-sqlite3');
  // The domain's one list of the events that end a payment.
  const ended = built('libs/payment-domain/src/index.js').PAYMENT_ENDING_EVENTS;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const open = db
      .prepare(
        `SELECT COUNT(DISTINCT stream) AS n FROM events WHERE stream >= 'payment-' AND stream < 'payment.'
           AND stream NOT IN (SELECT stream FROM events WHERE type IN (${ended.map(() => '?').join(',')}))`,
      )
      .get(...ended).n;
    const now = new Date().toISOString();
    const claimed = db
      .prepare(
        `SELECT data FROM events WHERE position IN
           (SELECT MAX(position) FROM events WHERE stream >= 'terminal-' AND stream < 'terminal.' GROUP BY stream)
           AND type = 'TerminalClaimed'`,
      )
      .all()
      .filter(({ data }) => JSON.parse(data).expiresAt > now).length;
    const plural = (n, one, many) => `${n === 0 ? 'no' : n} ${n === 1 ? one : many}`;
    return `stopped: ${plural(open, 'payment', 'payments')} open, ${plural(claimed, 'terminal', 'terminals')} claimed${
      open + claimed > 0 ? ' (the reconciler settles them when the engine starts again)' : ''
    }.`;
  } catch (error) {
    return `stopped (the log could not be read for a summary: ${error.message}).`;
  } finally {
    db.close();
  }
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// A closed terminal: the apps are in their own process group, so only this script hears it.
process.on('SIGHUP', () => void stop(0));
// `npm start` stopped by SIGTERM exits without passing it on, and this script would run on under init: a parent
// that is gone is taken as the signal.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop(0);
}, 1_000).unref();
// Should this script die without stopping them, its apps go with it; the data folder is free again.
process.on('exit', () => {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  releaseDataDir(dataDir);
});

try {
  const deadline = Date.now() + 60_000;
  await Promise.all(apps.map(({ name }) => healthy(url(name), deadline)));
  await seedBackoffice({
    simulatorUrl: url('dintero-simulator'),
    ingestUrl: url('ingest-service'),
    webhookSecret: env.DINTERO_WEBHOOK_SECRET,
  });
} catch (error) {
  console.error(`the engine did not start: ${error.message}`);
  await stop(1);
}

console.log(
  [
    'Dintero terminal payments engine',
    ...apps.map(
      ({ name, port }) =>
        `  ${name.padEnd(18)} http://127.0.0.1:${port}  (health: /health, metrics: /metrics, API: /docs)`,
    ),
    `  event log          ${eventStoreUrl}`,
    `  NATS               ${withoutCredentials(natsUrl)} (read models: KV buckets ${natsPrefix}_terminals, ${natsPrefix}_stores,`,
    `                     ${natsPrefix}_store_days; changes on ${natsPrefix}.v1.>, events on ${natsPrefix.toUpperCase().replace(/-/g, '_')}_EVENTS)`,
    `  POS API keys       ${posClientsFile}${process.env.POS_CLIENTS_FILE ? '' : ` (demo key in ${path.join(dataDir, 'demo-pos-key')})`}`,
    '',
    `  Live store dashboard: ${url('projections')}/dashboard`,
    `    sign in with an operator key of ${operatorsFile}${process.env.OPERATORS_FILE ? '' : ` (the demo's is in ${path.join(dataDir, 'demo-operator-key')})`}`,
  ].join('\n'),
);

if (demo) {
  const keyFile = path.join(dataDir, 'demo-pos-key');
  if (process.env.POS_CLIENTS_FILE || !existsSync(keyFile)) {
    console.log('demo: skipped (POS_CLIENTS_FILE is yours; the demo uses the key npm start makes)');
  } else {
    const posKey = readFileSync(keyFile, 'utf8').trim();
    const terminals = await seedDemo({
      commandUrl: url('command-service'),
      posKey,
      accountId: env.DINTERO_ACCOUNT_ID,
    }).catch((error) => {
      // Stopped while onboarding (Ctrl-C early): the apps going away is no failure of the demo's.
      if (stopping) return new Promise(() => undefined);
      throw error;
    });
    console.log(
      `demo: ${DEMO_STORES} stores with ${TERMINALS_PER_STORE} terminals each, paying (npm start -- --no-demo to stop that)`,
    );
    if (!stopping) {
      traffic = driveTraffic({ commandUrl: url('command-service'), posKey, terminals });
      closing = closeDemoStore({
        commandUrl: url('command-service'),
        simulatorUrl: url('dintero-simulator'),
        posKey,
        signal: demoStopped.signal,
      }).catch((error) => console.log(`demo: the end of day did not finish: ${error.message}`));
    }
  }
}
console.log('Ctrl-C stops everything cleanly.');
