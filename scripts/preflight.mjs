// What `npm start` checks before it builds anything: that NATS_URL is a URL and NATS answers there, that each
// app's port is a port and free (an engine already running, say), and that no other `npm start` uses the data
// folder. Run first by `npm start`, so that a second `npm start` neither rebuilds dist/ under a running engine
// nor sends its demo to it; start.mjs asks the same again, then holds the data folder.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The folder of the embedded log, keys and secrets (`DATA_DIR`, default `./data`; empty is unset, as the apps and
 * `npm run projections:rebuild` read it, where it named the repository's folder).
 */
export const dataDirOf = (env = process.env) => path.resolve(root, env.DATA_DIR || 'data');

/** The file that says which `npm start` uses a data folder: its process id, and when that process started. */
const holderFile = (dataDir) => path.join(dataDir, 'npm-start.pid');

/**
 * When a process started, in clock ticks since boot (`/proc/<pid>/stat`'s 22nd field), or undefined where there
 * is no /proc (macOS) or no such process. With the id it names one process: an id is used again once its
 * process is gone, by an unrelated one that would otherwise seem to hold the folder.
 */
function startTimeOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces: the 3rd field on.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether a process with this id runs (EPERM: it does, another user's). */
export function processRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** The process id of the live `npm start` that holds the data folder, if another holds it. */
export function dataDirHolder(dataDir) {
  let pid;
  let startedAt;
  try {
    [pid, startedAt] = readFileSync(holderFile(dataDir), 'utf8').trim().split(/\s+/);
    pid = Number(pid);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !processRunning(pid)) return undefined;
  // Alive, but started after the holder did: the id was given to another process since.
  const now = startTimeOf(pid);
  return startedAt !== undefined && now !== undefined && now !== startedAt ? undefined : pid;
}

/** This `npm start` holds the data folder until it exits (`releaseDataDir`). */
export function claimDataDir(dataDir) {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(holderFile(dataDir), `${[process.pid, startTimeOf(process.pid)].filter(Boolean).join(' ')}\n`);
}

export function releaseDataDir(dataDir) {
  if (dataDirHolder(dataDir) === undefined) rmSync(holderFile(dataDir), { force: true });
}

/** The apps `npm start` runs, each on its documented port and port variable (`variable`). */
export function appPorts(env = process.env) {
  const app = (name, fallback) => {
    const variable = `${name.toUpperCase().replace(/-/g, '_')}_PORT`;
    const value = env[variable] ?? String(fallback);
    // A port to listen on: 0 (any free one) is no port a POS or Dintero could be told.
    const port = /^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65_535 ? Number(value) : undefined;
    return { name, variable, value, port };
  };
  return [
    app('dintero-simulator', 3003),
    app('ingest-service', 3001),
    app('projections', 3002),
    app('command-service', 3000),
  ];
}

/**
 * What answers at the first of NATS_URL's servers: `nats` (its first line is NATS's `INFO`), `other` (something
 * that is not NATS, an app's HTTP port say), or `none`; an error naming the problem when it is no URL. At a tls://
 * URL a server that says nothing at first is asked again over TLS: one set up for a TLS handshake first
 * (`handshake_first`) says `INFO` only after it. Its certificate is the apps' to check, not this probe's.
 */
export async function natsAnswers(natsServers) {
  let hostname;
  let port;
  let protocol;
  try {
    ({ hostname, port, protocol } = new URL(natsServers.split(',')[0].trim()));
  } catch {
    throw new Error(
      `NATS_URL must be one or more comma-separated nats:// or tls:// URLs, not ${JSON.stringify(withoutCredentials(natsServers))}`,
    );
  }
  const at = { host: hostname, port: Number(port || 4222) };
  const plain = await firstWords(connect(at), 'connect');
  if (plain !== 'silent') return plain;
  if (protocol !== 'tls:') return 'other';
  const servername = isIP(hostname) ? undefined : hostname;
  const overTls = await firstWords(tlsConnect({ ...at, servername, rejectUnauthorized: false }), 'secureConnect');
  return overTls === 'nats' ? 'nats' : 'other';
}

/** What a socket says first: `nats` (`INFO`), `other`, `silent` for 2 s once connected, or `none` (no connection). */
function firstWords(socket, connectedOn) {
  return new Promise((resolve) => {
    let connected = false;
    const end = (answer) => (socket.destroy(), resolve(answer));
    socket.setTimeout(2_000);
    socket.once(connectedOn, () => (connected = true));
    socket.once('data', (chunk) => end(chunk.toString('latin1').startsWith('INFO ') ? 'nats' : 'other'));
    socket.once('timeout', () => end(connected ? 'silent' : 'none'));
    // `on`, not `once`: a second error after the first (a reset after a failed handshake) must not go unheard.
    socket.on('error', () => end(connected ? 'other' : 'none'));
  });
}

/** The apps whose port another process listens on (on 127.0.0.1, where they listen). */
export async function takenPorts(apps) {
  const taken = [];
  for (const app of apps) {
    const free = await new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(app.port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) taken.push(app);
  }
  return taken;
}

/** A URL as it may be printed: without the user and password it carries (`nats://engine:secret@host`). */
export function withoutCredentials(url) {
  // Everything from `://` to the last `@` before the next URL: a password may hold `/`, `,` or `@`, unencoded.
  return url.replace(/([a-z][a-z0-9+.-]*:\/\/)(?:(?![a-z][a-z0-9+.-]*:\/\/).)*@/gi, '$1');
}

/** The problems that keep `npm start` from starting, each a sentence; none when it may go on. */
export async function preflight(env = process.env) {
  const problems = [];
  const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const answers = await natsAnswers(natsUrl).catch((error) => (problems.push(error.message), 'nats'));
  const shown = withoutCredentials(natsUrl);
  if (answers === 'none')
    problems.push(`NATS does not answer at ${shown}.\nStart one with JetStream (nats-server -js) or set NATS_URL.`);
  if (answers === 'other') problems.push(`What answers at ${shown} is not NATS: set NATS_URL to a NATS server.`);
  const apps = appPorts(env);
  for (const { variable, value } of apps.filter(({ port }) => port === undefined))
    problems.push(`${variable} must be a port number from 1 to 65535, not ${JSON.stringify(value)}.`);
  for (const { name, variable, port } of await takenPorts(apps.filter(({ port }) => port !== undefined)))
    problems.push(
      `Port ${port} (${name}) is taken: is the engine running already? Stop it (Ctrl-C where it runs), or set ${variable}.`,
    );
  const dataDir = dataDirOf(env);
  const holder = dataDirHolder(dataDir);
  if (holder !== undefined)
    problems.push(
      `${dataDir} is used by another npm start (process ${holder}): stop it first, or set DATA_DIR to another folder.`,
    );
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const problems = await preflight();
  if (problems.length > 0) {
    for (const problem of problems) console.error(problem);
    process.exit(1);
  }
}
