import { mkdtempSync } from 'node:fs';
import {
  createServer as createHttp2Server,
  type Http2Server,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { KurrentDBClient, binaryEvent } from '@kurrent/kurrentdb-client';
import {
  createEventStore,
  EVENT_STORE,
  EventStoreModule,
  EventStoreUnavailableError,
  type EventStore,
  LogFollower,
  SqliteEventStore,
  StreamDeletedError,
} from '@app/event-store';
import { waitUntil } from '../../../test/support/app-process';
import { KurrentDbEventStore } from '../src/kurrentdb/kurrentdb-event-store';
import { eventStoreContract } from './event-store.contract';

// No KurrentDB server runs on the development machines; the suite runs wherever one is configured.
const connectionString = process.env.KURRENTDB_CONNECTION_STRING;

if (connectionString) {
  eventStoreContract('kurrentdb', { create: async () => createEventStore(connectionString) });

  describe('KurrentDB: what only a real server shows', () => {
    let client: KurrentDBClient;
    let store: KurrentDbEventStore;
    const run = `k${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    beforeAll(() => {
      client = KurrentDBClient.connectionString(connectionString);
      store = new KurrentDbEventStore(connectionString);
    });
    afterAll(async () => {
      await client.dispose();
      await store.close();
    });

    it('finds the head past a last event that is not JSON (not ours to read)', async () => {
      const { position } = await store.append(`${run}-json`, [{ type: 'Happened', data: {} }], {
        expectedRevision: 'no_stream',
      });
      await client.appendToStream(`${run}-binary`, binaryEvent({ type: 'Opaque', data: new Uint8Array([1, 2, 3]) }));
      // Others may write to a shared server meanwhile: the head is at least our JSON event, never 0.
      expect(await store.headPosition()).toBeGreaterThanOrEqual(position);
    });

    it('refuses an append to a deleted stream as a definite failure, not as unavailable', async () => {
      const streamName = `${run}-deleted`;
      await store.append(streamName, [{ type: 'Happened', data: {} }], { expectedRevision: 'no_stream' });
      await client.tombstoneStream(streamName);
      await expect(
        store.append(streamName, [{ type: 'Happened', data: {} }], { expectedRevision: 'any' }),
      ).rejects.toBeInstanceOf(StreamDeletedError);
    });
  });
}

describe('choosing the adapter by EVENT_STORE_URL', () => {
  it.each([
    'kurrentdb://127.0.0.1:2113?tls=false',
    'esdb://127.0.0.1:2113?tls=false',
    'kurrentdb+discover://a:2113,b:2113',
    // Every scheme the client takes: kurrent:// and kdb:// too.
    'kurrent://127.0.0.1:2113?tls=false',
    'kurrent+discover://a:2113,b:2113',
    'kdb://127.0.0.1:2113?tls=false',
  ])('%s is KurrentDB', async (url) => {
    const store = createEventStore(url);
    expect(store).toBeInstanceOf(KurrentDbEventStore);
    await store.close();
  });

  it('sqlite:<file> is the embedded log', async () => {
    const store = createEventStore(`sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'factory-')), 'events.db')}`);
    expect(store).toBeInstanceOf(SqliteEventStore);
    await store.close();
  });

  it.each(['postgres://x', 'sqlite:', 'esdb:/missing-slashes'])('refuses %s', (url) => {
    expect(() => createEventStore(url)).toThrow(/EVENT_STORE_URL/);
  });
});

// No KurrentDB server is needed: a node that speaks HTTP/2 (it answers pings, takes each call) and answers no read.
describe('KurrentDB: a node that takes each read and never answers it', () => {
  let server: Http2Server;
  const held = new Set<ServerHttp2Stream>();
  const sessions = new Set<ServerHttp2Session>();
  let port: number;
  beforeAll(async () => {
    server = createHttp2Server();
    server.on('session', (session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
    server.on('stream', (stream, headers) => {
      // Any other call (the client's question of what the node supports) is answered at once: not implemented.
      if (!String(headers[':path']).endsWith('/Read')) {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' },
          { endStream: true },
        );
        return;
      }
      held.add(stream);
      stream.on('close', () => held.delete(stream));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const stream of held) stream.close();
    // The client's reader keeps its connection past the store's close: the node ends it.
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails a page of $all as unavailable once its deadline has passed, rather than waiting for good', async () => {
    const store = new KurrentDbEventStore(`kurrentdb://127.0.0.1:${port}?tls=false`, undefined, {
      appendTimeoutMs: 500,
      readAllTimeoutMs: 1_000,
    });
    try {
      const read = store.readAll({ after: 0n, limit: 1, streamPrefixes: ['store-'] });
      await expect(read).rejects.toThrow(EventStoreUnavailableError);
      await expect(read).rejects.toThrow(/did not answer the read of \$all within 1000 ms/);
      // It was the read the node held (the client gives no way to cancel it: it stays open at the node).
      expect(held.size).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('takes the deadline of a page of $all as the apps give it (KURRENTDB_READ_ALL_TIMEOUT_MS)', async () => {
    const url = `kurrentdb://127.0.0.1:${port}?tls=false`;
    const options = { readAllTimeoutMs: 1_000 };
    // As an app alone makes its store (the module), and as the engine and the rebuild make theirs.
    const provider = EventStoreModule.forRoot(url, undefined, options).providers?.find(
      (candidate) => typeof candidate === 'object' && 'provide' in candidate && candidate.provide === EVENT_STORE,
    ) as { useFactory: () => EventStore };
    const stores = [provider.useFactory(), createEventStore(url, options)];
    try {
      for (const store of stores)
        await expect(store.readAll({ after: 0n, limit: 1 })).rejects.toThrow(
          /did not answer the read of \$all within 1000 ms/,
        );
    } finally {
      for (const store of stores) await store.close();
    }
  });
});

// No KurrentDB server is needed: a node that takes the connection and never answers.
describe('KurrentDB: a node that holds the connection and never answers', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails an append as unavailable (its outcome unknown) once its deadline has passed, rather than waiting for good', async () => {
    const store = new KurrentDbEventStore(`kurrentdb://127.0.0.1:${port}?tls=false`, undefined, {
      appendTimeoutMs: 500,
    });
    try {
      const started = performance.now();
      const append = store.append('silent-1', [{ type: 'Happened', data: {} }], { expectedRevision: 'no_stream' });
      await expect(append).rejects.toThrow(EventStoreUnavailableError);
      await expect(append).rejects.toThrow(/did not answer the append to silent-1 within 500 ms/);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await store.close();
    }
  });

  it('fails a read as unavailable once its deadline has passed, rather than waiting for good', async () => {
    const store = new KurrentDbEventStore(`kurrentdb://127.0.0.1:${port}?tls=false`, undefined, {
      appendTimeoutMs: 500,
    });
    try {
      const started = performance.now();
      const read = store.readStream('silent-2');
      await expect(read).rejects.toThrow(EventStoreUnavailableError);
      await expect(read).rejects.toThrow(/did not answer the read of silent-2 within 500 ms/);
      await expect(store.headPosition()).rejects.toThrow(/did not answer the read of the end of \$all within 500 ms/);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await store.close();
    }
  });

  it('counts a subscription the node never confirms as down, and drops it to subscribe again', async () => {
    const store = new KurrentDbEventStore(`kurrentdb://127.0.0.1:${port}?tls=false`);
    const follower = new LogFollower(store, { streamPrefixes: [], onEvent: () => undefined, confirmWithinMs: 300 });
    try {
      follower.start(0n);
      expect(follower.healthy).toBe(false);
      await waitUntil(() => follower.drops >= 1, 10_000, 'the unconfirmed subscription dropped');
      expect(follower.healthy).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      await follower.stop();
      await store.close();
    }
  });
});

describe('KurrentDB: a node that left a question unanswered, and answers again', () => {
  it('asks again on a new connection, where every later append waited on the unanswered question', async () => {
    // The client asks the node what it supports before its first append, once, with no deadline, and every append
    // after waits on that question. This node answers no request at first, then (after the first append gave up)
    // takes requests again: only a new client sends them.
    const asked: string[] = [];
    const held = new Set<ServerHttp2Stream>();
    const node = createHttp2Server();
    node.on('stream', (stream, headers) => {
      asked.push(String(headers[':path']));
      held.add(stream);
      stream.on('close', () => held.delete(stream));
    });
    await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
    const { port } = node.address() as AddressInfo;
    const store = new KurrentDbEventStore(`kurrentdb://127.0.0.1:${port}?tls=false`, undefined, {
      appendTimeoutMs: 300,
    });
    const features = () => asked.filter((path) => path.includes('ServerFeatures')).length;
    try {
      const append = () => store.append('held-1', [{ type: 'Happened', data: {} }], { expectedRevision: 'any' });
      await expect(append()).rejects.toThrow(/did not answer the append to held-1 within 300 ms/);
      expect(features()).toBe(1);
      await expect(append()).rejects.toThrow(EventStoreUnavailableError);
      await waitUntil(() => features() >= 2, 5_000, 'the question asked again on a new connection');
    } finally {
      for (const stream of held) stream.close();
      await store.close();
      await new Promise((resolve) => node.close(resolve));
    }
  });
});
