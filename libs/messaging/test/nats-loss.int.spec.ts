import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { connectNats, stopOnNatsLoss } from '@app/messaging';
import { startNatsServer, type PrivateNats } from '../../../test/support/nats-server';

describe('a NATS connection that closes', () => {
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  afterEach(() => {
    process.exitCode = undefined;
  });

  describe('for good, on its own', () => {
    let dir: string;
    let server: PrivateNats;
    const config = (password: string) =>
      writeFileSync(path.join(dir, 'nats.conf'), `authorization { user: app, password: ${password} }\n`);

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'nats-loss-'));
      config('first-password');
      server = await startNatsServer({
        args: ['-c', path.join(dir, 'nats.conf')],
        probe: { user: 'app', pass: 'first-password' },
      });
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('stops the process once the server refuses its credentials, though reconnects never end', async () => {
      // In place of the SIGTERM that would end the test's process.
      let stopped!: () => void;
      const terminated = new Promise<void>((resolve) => (stopped = resolve));
      const port = new URL(server.url).port;
      const connection = await connectNats(`nats://app:first-password@127.0.0.1:${port}`, 'test-loss', stopped);

      // The password changes under the running server: it drops the client, and refuses it when it comes back.
      config('second-password');
      server.reload();
      expect(await connection.closed()).toBeInstanceOf(Error);
      await terminated;
      expect(process.exitCode).toBe(1);
    });
  });

  it('leaves the process alone when its owner closed or drained it', async () => {
    for (const end of ['close', 'drain'] as const) {
      const stop = jest.fn();
      const connection = await connect({ servers: natsUrl });
      stopOnNatsLoss(connection, stop);
      await connection[end]();
      expect(await connection.closed()).toBeUndefined();
      await new Promise((resolve) => setImmediate(resolve));
      expect({ end, stopped: stop.mock.calls.length }).toEqual({ end, stopped: 0 });
    }
    expect(process.exitCode).toBeUndefined();
  });
});
