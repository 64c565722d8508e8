import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort, waitUntil } from './app-process';

/** A node of a test's own NATS cluster: its client URL, and a way to lose it as a crashed machine would. */
export interface ClusterNode {
  readonly name: string;
  readonly url: string;
  /** SIGKILL: the node is gone, with no goodbye to its peers. */
  kill(): Promise<void>;
}

/** Three nats-servers with JetStream, routed to each other, on free ports, each with its own store folder. */
export interface NatsCluster {
  readonly nodes: readonly ClusterNode[];
  /** Every node's client URL, comma-separated, as NATS_URL takes them. */
  readonly url: string;
  /** Stops every node still running and removes their folders. */
  stop(): Promise<void>;
}

const SIZE = 3;

/**
 * Starts the cluster, on other ports again should a node fail to start: a free port is found by binding it and letting
 * it go, and another process may take it before the node binds it.
 */
export async function startNatsCluster(): Promise<NatsCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePorts();
    } catch (error) {
      if (!(error instanceof NodeDidNotStart) || attempt >= 3) throw error;
    }
  }
}

class NodeDidNotStart extends Error {}

/** Six ports, none twice: each is let go before the next is found, and the system may hand one out again. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function startOnFreePorts(): Promise<NatsCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nats-cluster-'));
  const free = await distinctFreePorts(SIZE * 2);
  const ports = Array.from({ length: SIZE }, (_, index) => ({ client: free[2 * index]!, route: free[2 * index + 1]! }));
  const routes = ports.map(({ route }) => `nats://127.0.0.1:${route}`).join(',');
  const logs: string[] = [];
  const servers: ChildProcess[] = ports.map(({ client, route }, index) => {
    const store = path.join(dir, `n${index + 1}`);
    mkdirSync(store);
    logs[index] = '';
    const server = spawn(
      process.env.NATS_SERVER_BIN ?? 'nats-server',
      // JetStream in a cluster wants each server named, and the cluster too.
      [
        '-js',
        '-sd',
        store,
        '-n',
        `n${index + 1}`,
        '-a',
        '127.0.0.1',
        '-p',
        String(client),
        '--cluster_name',
        'replicas-test',
        '--cluster',
        `nats://127.0.0.1:${route}`,
        '--routes',
        routes,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    server.stderr.on('data', (chunk: Buffer) => (logs[index] += chunk.toString()));
    server.once('error', (error) => (logs[index] += `could not start nats-server: ${error.message}`));
    return server;
  });
  const exitOf = (server: ChildProcess) =>
    server.exitCode !== null || server.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const stopAll = async () => {
    await Promise.all(
      servers.map((server) => {
        const exited = exitOf(server);
        server.kill('SIGTERM');
        return exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const url = ports.map(({ client }) => `nats://127.0.0.1:${client}`).join(',');
  try {
    // Ready once JetStream's meta group has a leader: before, every JetStream request is refused.
    await waitUntil(
      async () => {
        servers.forEach((server, index) => {
          if (server.exitCode !== null)
            throw new NodeDidNotStart(`nats-server n${index + 1} did not start:\n${logs[index]}`);
        });
        const nc = await connect({ servers: url.split(','), timeout: 1_000 }).catch(() => undefined);
        if (!nc) return false;
        try {
          const info = await (await jetstreamManager(nc, { timeout: 1_000 })).getAccountInfo();
          return info !== undefined;
        } catch {
          return false;
        } finally {
          await nc.close();
        }
      },
      30_000,
      'a NATS cluster of three with a JetStream leader',
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    url,
    nodes: servers.map((server, index) => ({
      name: `n${index + 1}`,
      url: `nats://127.0.0.1:${ports[index]!.client}`,
      async kill() {
        const exited = exitOf(server);
        server.kill('SIGKILL');
        await exited;
      },
    })),
    stop: stopAll,
  };
}
