import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type ConnectionOptions } from '@nats-io/transport-node';
import { freePort, waitUntil } from './app-process';

/** A nats-server of a test's own (not the shared one on 4222), with JetStream in a folder of its own. */
export interface PrivateNats {
  readonly url: string;
  /** SIGKILL, then, after `downMs`, the same server again: same port, same JetStream folder. */
  restart(downMs: number): Promise<void>;
  /** Makes the server read its configuration file again (SIGHUP), as `nats-server --signal reload` does. */
  reload(): void;
  stop(): Promise<void>;
}

export async function startNatsServer(
  options: { args?: readonly string[]; env?: Record<string, string>; probe?: Partial<ConnectionOptions> } = {},
): Promise<PrivateNats> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nats-server-'));
  let port = await freePort();
  let url = `nats://127.0.0.1:${port}`;
  let server: ChildProcess;

  const start = async () => {
    let log = '';
    server = spawn(
      process.env.NATS_SERVER_BIN ?? 'nats-server',
      ['-js', '-p', String(port), '-sd', dir, ...(options.args ?? [])],
      { env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    server.once('error', (error) => (log += `could not start nats-server: ${error.message}`));
    await waitUntil(
      async () => {
        if (server.exitCode !== null || log.includes('could not start'))
          throw new Error(`nats-server did not start:\n${log}`);
        return connect({ servers: url, ...options.probe }).then(
          (nc) => nc.close().then(() => true),
          () => false,
        );
      },
      20_000,
      `nats-server on port ${port}`,
    );
  };
  const kill = async (signal: NodeJS.Signals) => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill(signal);
    await exited;
  };

  // A free port is free when asked, not when the server binds it: another process on the machine (a CI's other tests)
  // may take it in between ("address already in use"). The first start tries another; a restart keeps its port.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 5 || !String(error).includes('address already in use')) throw error;
      port = await freePort();
      url = `nats://127.0.0.1:${port}`;
    }
  }
  return {
    url,
    async restart(downMs) {
      await kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    reload() {
      server.kill('SIGHUP');
    },
    async stop() {
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
