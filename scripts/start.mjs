// `npm start`: the whole engine on one machine, on its embedded default (SQLite log, the simulator as
// Dintero, NATS at NATS_URL). Checks NATS first, starts the four apps, stops them all on Ctrl-C.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const eventStoreUrl = process.env.EVENT_STORE_URL ?? 'sqlite:./data/events.db';
const apps = [
  { name: 'dintero-simulator', port: 3003 },
  { name: 'ingest-service', port: 3001 },
  { name: 'projections', port: 3002 },
  { name: 'command-service', port: 3000 },
];

function natsAnswers(url) {
  const { hostname, port } = new URL(url.split(',')[0]);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 4222) });
    socket.setTimeout(2_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

if (!(await natsAnswers(natsUrl))) {
  console.error(`NATS does not answer at ${natsUrl}.\nStart one with JetStream (nats-server -js) or set NATS_URL.`);
  process.exit(1);
}

const children = apps.map(({ name, port }) => {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist/apps', name, 'src/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(process.env[`${name.toUpperCase().replace(/-/g, '_')}_PORT`] ?? port),
      NATS_URL: natsUrl,
      EVENT_STORE_URL: eventStoreUrl,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the engine`);
      stop(1);
    }
  });
  return { name, port, child };
});

let stopping = false;
async function stop(exitCode) {
  if (stopping) return;
  stopping = true;
  // Each app flushes its log commits and drains NATS on SIGTERM; wait for all of them.
  await Promise.all(
    children.map(({ child }) =>
      child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
    ),
  );
  process.exit(exitCode);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

console.log(
  [
    'Dintero terminal payments engine',
    ...children.map(
      ({ name, port }) =>
        `  ${name.padEnd(18)} http://127.0.0.1:${port}  (health: /health, metrics: /metrics, API: /docs)`,
    ),
    `  event log          ${eventStoreUrl}`,
    `  NATS               ${natsUrl}`,
    'Ctrl-C stops everything cleanly.',
  ].join('\n'),
);
