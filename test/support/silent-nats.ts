import { createServer, type Server, type Socket } from 'node:net';

/**
 * A NATS server that takes connections and answers pings, and answers no request: as a NATS whose JetStream has no
 * leader (most of a cluster down) looks to a client, every request timing out.
 */
export async function startSilentNats(): Promise<{ readonly url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(
      `INFO ${JSON.stringify({ server_id: 'silent', version: '2.9.10', proto: 1, headers: true, max_payload: 1_048_576, jetstream: true })}\r\n`,
    );
    // The client's pings (one at connect, to know the server took CONNECT) are all this server answers.
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let line: number;
      while ((line = pending.indexOf('\r\n')) >= 0) {
        if (pending.slice(0, line) === 'PING') socket.write('PONG\r\n');
        pending = pending.slice(line + 2);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
