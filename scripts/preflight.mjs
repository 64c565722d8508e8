// What `npm start` checks before it builds anything: that NATS_URL is a URL and NATS answers there, and that no
// app's port is taken (an engine already running, say). Run first by `npm start`, so that a second `npm start`
// neither rebuilds dist/ under a running engine nor sends its demo to it; start.mjs asks the same again.
import { connect, createServer } from 'node:net';
import { pathToFileURL } from 'node:url';

/** The apps `npm start` runs, each on its documented port and port variable (`variable`). */
export function appPorts(env = process.env) {
  const app = (name, fallback) => {
    const variable = `${name.toUpperCase().replace(/-/g, '_')}_PORT`;
    return { name, variable, port: Number(env[variable] ?? fallback) };
  };
  return [
    app('dintero-simulator', 3003),
    app('ingest-service', 3001),
    app('projections', 3002),
    app('command-service', 3000),
  ];
}

/** Whether something answers at the first of NATS_URL's servers; an error naming the problem when it is no URL. */
export function natsAnswers(natsServers) {
  let hostname;
  let port;
  try {
    ({ hostname, port } = new URL(natsServers.split(',')[0].trim()));
  } catch {
    return Promise.reject(
      new Error(
        `NATS_URL must be one or more comma-separated nats:// or tls:// URLs, not ${JSON.stringify(natsServers)}`,
      ),
    );
  }
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 4222) });
    socket.setTimeout(2_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
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

/** The problems that keep `npm start` from starting, each a sentence; none when it may go on. */
export async function preflight(env = process.env) {
  const problems = [];
  const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const answers = await natsAnswers(natsUrl).catch((error) => (problems.push(error.message), true));
  if (!answers)
    problems.push(`NATS does not answer at ${natsUrl}.\nStart one with JetStream (nats-server -js) or set NATS_URL.`);
  for (const { name, variable, port } of await takenPorts(appPorts(env)))
    problems.push(
      `Port ${port} (${name}) is taken: is the engine running already? Stop it (Ctrl-C where it runs), or set ${variable}.`,
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
