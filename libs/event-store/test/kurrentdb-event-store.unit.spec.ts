import { PassThrough } from 'node:stream';
import {
  AppendRecordSizeExceededError,
  ErrorType,
  KurrentDBClient,
  NotLeaderError,
  UnknownError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import {
  EventStoreUnavailableError,
  InvalidEventStoreInputError,
  LogFollower,
  WrongExpectedRevisionError,
} from '@app/event-store';
import { waitUntil } from '../../../test/support/app-process';
import { credentialsOf } from '../src/kurrentdb/client-for';
import { KurrentDbEventStore } from '../src/kurrentdb/kurrentdb-event-store';

// The adapter's handling of answers the client documents but a healthy test server seldom gives. No KurrentDB
// runs here: the client's answers are given by the test (the contract suite runs the adapter against a real
// server whenever KURRENTDB_CONNECTION_STRING is set).

/** An event as the client reads it back. */
const resolved = (id: string, revision: bigint, position: bigint) => ({
  event: {
    id,
    type: 'PaymentRequested',
    data: { paymentId: 'p-1' },
    metadata: {},
    isJson: true,
    streamId: 'payment-p-1',
    revision,
    position: { commit: position, prepare: position },
  },
  commitPosition: position,
});

async function* readBack(...events: ReturnType<typeof resolved>[]) {
  yield* events;
}

/** A subscription as the client makes one: an object stream that `unsubscribe` cancels. */
function subscriptionStream(unsubscribe: () => Promise<void> = async () => undefined) {
  const stream = new PassThrough({ objectMode: true });
  return Object.assign(stream, { unsubscribe: jest.fn(unsubscribe) });
}

describe('KurrentDB adapter: answers of the client', () => {
  let client: KurrentDBClient;
  let store: KurrentDbEventStore;
  const event = { id: '3f1d9a52-0c1e-4a83-9f40-5b9b1f0c2d11', type: 'PaymentRequested', data: { paymentId: 'p-1' } };

  beforeEach(() => {
    // Never connects: every call the adapter makes in these tests is answered below.
    client = KurrentDBClient.connectionString('kurrentdb://127.0.0.1:1?tls=false');
    store = new KurrentDbEventStore('', client);
  });
  afterEach(() => client.dispose());

  it('takes the position of events already appended from the stream, when the answer has none', async () => {
    jest
      .spyOn(client, 'appendToStream')
      .mockResolvedValue({ success: true, nextExpectedRevision: 4n, position: undefined });
    const read = jest
      .spyOn(client, 'readStream')
      .mockReturnValue(readBack(resolved(event.id, 4n, 77n)) as unknown as ReturnType<KurrentDBClient['readStream']>);

    await expect(store.append('payment-p-1', [event], { expectedRevision: 3 })).resolves.toEqual({
      nextRevision: 4,
      position: 77n,
    });
    // From the leader: a follower may not hold the event yet.
    expect(read).toHaveBeenCalledWith(
      'payment-p-1',
      expect.objectContaining({ fromRevision: 4n, maxCount: 1, requiresLeader: true }),
    );
  });

  // The client's own error for an event over the node's size limit (its newer protocol's answer): a refusal of the
  // input, never the log out of reach (a 503 the command service would retry for good).
  it("refuses an event the node finds too large by the client's AppendRecordSizeExceededError, with the limit", async () => {
    const answer = Object.assign(new Error('3 INVALID_ARGUMENT: Append record size exceeded'), {
      code: 3,
      details: 'Append record size exceeded',
    });
    const refusal = new AppendRecordSizeExceededError(
      answer as unknown as ConstructorParameters<typeof AppendRecordSizeExceededError>[0],
      { stream: 'payment-p-1', recordId: event.id, size: 100_000, maxSize: 65_536 },
    );
    expect(refusal.type).toBe(ErrorType.APPEND_RECORD_SIZE_EXCEEDED);
    jest.spyOn(client, 'appendToStream').mockRejectedValue(refusal);

    const append = store.append('payment-p-1', [event], { expectedRevision: 3 });
    await expect(append).rejects.toThrow(InvalidEventStoreInputError);
    await expect(append).rejects.toThrow(/larger than the server's MaxAppendEventSize of 65536 bytes/);
  });

  // The older protocol's batch answer has no error of the client's: its message is all that tells it.
  it('refuses an event the batch append found too large, told only by the UnknownError the client makes of it', async () => {
    jest
      .spyOn(client, 'appendToStream')
      .mockRejectedValue(new UnknownError(undefined, 'Could not recognize MaximumAppendEventSizeExceeded'));
    await expect(store.append('payment-p-1', [event], { expectedRevision: 3 })).rejects.toThrow(
      InvalidEventStoreInputError,
    );
    // Any other answer the client does not know may be the node's trouble: the log out of reach, retried.
    jest.spyOn(client, 'appendToStream').mockRejectedValue(new UnknownError(undefined, 'Could not recognize Other'));
    await expect(store.append('payment-p-1', [event], { expectedRevision: 3 })).rejects.toThrow(
      EventStoreUnavailableError,
    );
  });

  it('says the log is out of reach when the event at that revision is another', async () => {
    jest
      .spyOn(client, 'appendToStream')
      .mockResolvedValue({ success: true, nextExpectedRevision: 4n, position: undefined });
    jest
      .spyOn(client, 'readStream')
      .mockReturnValue(readBack(resolved('another', 4n, 77n)) as unknown as ReturnType<KurrentDBClient['readStream']>);

    await expect(store.append('payment-p-1', [event], { expectedRevision: 3 })).rejects.toThrow(
      EventStoreUnavailableError,
    );
  });

  it('takes a refusal answered as a result (throwOnAppendFailure=false) as the revision conflict it is', async () => {
    // The batch path of client 1.3 answers `BigInt` of a boolean as the revision: the stream's own is read instead.
    const append = jest.spyOn(client, 'appendToStream');
    const read = jest.spyOn(client, 'readStream');
    append.mockResolvedValueOnce({ success: false, nextExpectedRevision: 1n, position: undefined });
    read.mockReturnValueOnce(
      readBack(resolved(event.id, 6n, 90n)) as unknown as ReturnType<KurrentDBClient['readStream']>,
    );
    await expect(store.append('payment-p-1', [event], { expectedRevision: 3 })).rejects.toMatchObject({
      constructor: WrongExpectedRevisionError,
      actual: 6,
    });
    expect(read).toHaveBeenLastCalledWith(
      'payment-p-1',
      expect.objectContaining({ maxCount: 1, requiresLeader: true }),
    );
    append.mockResolvedValueOnce({ success: false, nextExpectedRevision: 0n, position: undefined });
    read.mockReturnValueOnce(readBack() as unknown as ReturnType<KurrentDBClient['readStream']>);
    await expect(store.append('payment-p-1', [event], { expectedRevision: 3 })).rejects.toMatchObject({
      constructor: WrongExpectedRevisionError,
      actual: 'no_stream',
    });
  });

  it('gives a missing stream as none, also where the client says revision -1', async () => {
    const refused = (current: bigint | 'no_stream') =>
      new WrongExpectedVersionError(null as never, { streamName: 'payment-p-1', current, expected: 3n });
    const append = jest.spyOn(client, 'appendToStream');
    for (const [current, actual] of [
      [-1n, 'no_stream'],
      ['no_stream', 'no_stream'],
      [5n, 5],
    ] as const) {
      append.mockRejectedValueOnce(refused(current));
      await expect(store.append('payment-p-1', [event], { expectedRevision: 3 })).rejects.toMatchObject({
        name: 'WrongExpectedRevisionError',
        actual,
      });
    }
  });

  it('fails the first read of a subscription the server refused, rather than ending the process', async () => {
    const stream = subscriptionStream(() => Promise.reject(new Error('the call never opened')));
    jest.spyOn(client, 'subscribeToAll').mockReturnValue(stream);
    const subscription = store.subscribeToAll({ after: 0n });

    // As the client emits it, before anything reads: with no listener, `emit` would throw it out of its callback.
    expect(() => stream.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:1'))).not.toThrow();
    const iterator = subscription[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({
      name: 'EventStoreUnavailableError',
      message: 'KurrentDB could not subscribe to $all: connect ECONNREFUSED 127.0.0.1:1',
    });
    await expect(subscription.close()).resolves.toBeUndefined();
  });

  it('says when the server has confirmed a subscription live, and a follower counts it up only then', async () => {
    const stream = subscriptionStream();
    jest.spyOn(client, 'subscribeToAll').mockReturnValue(stream);
    const follower = new LogFollower(store, { streamPrefixes: [], onEvent: () => undefined });
    follower.start(0n);
    expect(follower.healthy).toBe(false);
    stream.emit('confirmation');
    await waitUntil(() => follower.healthy, 5_000, 'the follower up on the confirmation');
    expect(follower.drops).toBe(0);
    const stopped = follower.stop();
    stream.end(); // the server's side ends with the unsubscribe
    await stopped;
  });

  it('takes no late confirmation of a subscription it dropped as the follower being up again', async () => {
    // The old subscription's unsubscribe hangs (a node gone): its confirmation comes while it is being closed.
    let unsubscribed!: () => void;
    const unsubscribing = new Promise<void>((resolve) => (unsubscribed = resolve));
    const stale = subscriptionStream(() => unsubscribing);
    const fresh = subscriptionStream();
    jest.spyOn(client, 'subscribeToAll').mockReturnValueOnce(stale).mockReturnValue(fresh);
    const follower = new LogFollower(store, { streamPrefixes: [], onEvent: () => undefined, confirmWithinMs: 100 });
    follower.start(0n);
    await waitUntil(() => follower.drops >= 1, 5_000, 'the unconfirmed subscription dropped');
    stale.emit('confirmation');
    await new Promise((resolve) => setImmediate(resolve));
    expect(follower.healthy).toBe(false);
    unsubscribed();
    stale.end();
    const stopped = follower.stop();
    fresh.end();
    await stopped;
  });

  // A command reads its stream and appends at the revision read: a read a follower serves may miss a write another
  // instance made through the leader, at every retry while the client's reader stays on that node.
  it('reads a stream from the leader, and takes a follower that says it is not as the log out of reach (503)', async () => {
    const read = jest
      .spyOn(client, 'readStream')
      .mockReturnValueOnce(
        readBack(resolved(event.id, 0n, 5n)) as unknown as ReturnType<KurrentDBClient['readStream']>,
      );
    await expect(store.readStream('payment-p-1')).resolves.toHaveLength(1);
    expect(read).toHaveBeenCalledWith('payment-p-1', expect.objectContaining({ requiresLeader: true }));

    // What the client's reader throws when a follower refuses a read that requires the leader.
    const notLeader = new NotLeaderError(
      Object.assign(new Error('Not leader'), {
        metadata: { 'leader-endpoint-host': 'kurrentdb-2', 'leader-endpoint-port': '2113' },
      }) as unknown as ConstructorParameters<typeof NotLeaderError>[0],
    );
    async function* refused(): AsyncGenerator<never> {
      yield* [];
      throw notLeader;
    }
    read.mockReturnValueOnce(refused());
    await expect(store.readStream('payment-p-1')).rejects.toThrow(EventStoreUnavailableError);
    // And an append a node refuses as not the leader (during an election): 503, retried, never a 500.
    jest.spyOn(client, 'appendToStream').mockRejectedValueOnce(notLeader);
    await expect(store.append('payment-p-1', [event], { expectedRevision: 3 })).rejects.toThrow(
      EventStoreUnavailableError,
    );
  });

  it('refuses a stream read that gives one of its events no position, rather than leave the event out', async () => {
    const unplaced = resolved(event.id, 0n, 5n);
    const { position: _position, ...withoutPosition } = unplaced.event;
    for (const answer of [
      { event: withoutPosition },
      { ...unplaced, event: { ...unplaced.event, position: { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n } } },
    ]) {
      jest
        .spyOn(client, 'readStream')
        .mockReturnValueOnce(readBack(answer as never) as unknown as ReturnType<KurrentDBClient['readStream']>);
      await expect(store.readStream('payment-p-1')).rejects.toMatchObject({
        name: 'EventStoreUnavailableError',
        message: `KurrentDB gave event ${event.id} of payment-p-1 no position: the engine needs KurrentDB 22.6 or later`,
      });
    }
  });

  it('refuses calls once closed, which the client would still serve', async () => {
    const read = jest.spyOn(client, 'readStream');
    await store.close();
    await expect(store.readStream('payment-p-1')).rejects.toMatchObject({
      name: 'EventStoreUnavailableError',
      message: 'The KurrentDB event store is closed',
    });
    expect(() => store.subscribeToAll()).toThrow('The KurrentDB event store is closed');
    expect(read).not.toHaveBeenCalled();
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('cancels the subscription at the server when its reader stops reading', async () => {
    const stream = subscriptionStream();
    jest.spyOn(client, 'subscribeToAll').mockReturnValue(stream);
    const subscription = store.subscribeToAll({ after: 0n });
    stream.write(resolved(event.id, 0n, 10n));
    stream.write(resolved('second', 1n, 11n));

    for await (const recorded of subscription) {
      expect(recorded.position).toBe(10n);
      break;
    }
    expect(stream.unsubscribe).toHaveBeenCalled();
  });
});

describe('KurrentDB adapter: reading $all', () => {
  it('reads on past a page of events that are not its own, rather than end the log there', async () => {
    const client = KurrentDBClient.connectionString('kurrentdb://127.0.0.1:1?tls=false');
    const store = new KurrentDbEventStore('', client);
    const foreign = (position: bigint) => ({
      ...resolved(`foreign-${position}`, position, position),
      event: { ...resolved('x', position, position).event, isJson: false },
    });
    const pages = [
      // from 0: three events (limit + 1), none of them JSON
      [foreign(10n), foreign(11n), foreign(12n)],
      // from 12, inclusive: the last one again, then ours
      [foreign(12n), resolved('a', 0n, 13n), resolved('b', 1n, 14n)],
    ];
    const readAll = jest
      .spyOn(client, 'readAll')
      .mockImplementation(() => readBack(...pages.shift()!) as unknown as ReturnType<KurrentDBClient['readAll']>);
    try {
      const events = await store.readAll({ after: 0n, limit: 2 });
      expect(events.map((event) => [event.id, event.position])).toEqual([
        ['a', 13n],
        ['b', 14n],
      ]);
      expect(readAll).toHaveBeenCalledTimes(2);
      expect(readAll).toHaveBeenLastCalledWith(
        expect.objectContaining({ fromPosition: { commit: 12n, prepare: 12n }, maxCount: 3 }),
      );
    } finally {
      await client.dispose();
    }
  });

  it('gives the head of a log whose newest events are none of its own as the newest one read, not as empty', async () => {
    const client = KurrentDBClient.connectionString('kurrentdb://127.0.0.1:1?tls=false');
    const store = new KurrentDbEventStore('', client);
    const foreign = (position: bigint) => ({
      ...resolved(`foreign-${position}`, position, position),
      event: { ...resolved('x', position, position).event, type: 'OrderPlaced', isJson: false },
    });
    jest
      .spyOn(client, 'readAll')
      .mockImplementation(
        (options) =>
          readBack(
            ...Array.from({ length: Number(options?.maxCount) }, (_, i) => foreign(10_000_000n - BigInt(i) * 100n)),
          ) as unknown as ReturnType<KurrentDBClient['readAll']>,
      );
    try {
      expect(await store.headPosition()).toBe(10_000_000n);
    } finally {
      await client.dispose();
    }
  });
});

describe('KurrentDB adapter: the connection string’s user and password', () => {
  it('reads them percent-decoded, as the client does for appends and subscriptions', () => {
    expect(credentialsOf('kurrentdb://engine:p%40ss@node1:2113?tls=true')).toEqual({
      username: 'engine',
      password: 'p@ss',
    });
    expect(credentialsOf('kurrentdb+discover://engine:p;ss@cluster:2113')).toEqual({
      username: 'engine',
      password: 'p;ss',
    });
    expect(credentialsOf('kurrentdb://node1:2113?tls=false')).toBeUndefined();
  });

  it('gives them with every read, which the client’s native reader would take from the string still encoded', async () => {
    const connectionString = 'kurrentdb://engine:p%40ss@127.0.0.1:1?tls=false';
    const client = KurrentDBClient.connectionString(connectionString);
    const store = new KurrentDbEventStore(connectionString, client);
    const readStream = jest
      .spyOn(client, 'readStream')
      .mockImplementation(() => readBack() as unknown as ReturnType<KurrentDBClient['readStream']>);
    const readAll = jest
      .spyOn(client, 'readAll')
      .mockImplementation(() => readBack() as unknown as ReturnType<KurrentDBClient['readAll']>);
    try {
      await store.readStream('payment-p-1');
      await store.readAll({ after: 0n, limit: 10 });
      await store.headPosition();
      const credentials = { username: 'engine', password: 'p@ss' };
      expect(readStream).toHaveBeenCalledWith('payment-p-1', expect.objectContaining({ credentials }));
      expect(readAll).toHaveBeenCalledTimes(2);
      for (const [options] of readAll.mock.calls) expect(options).toMatchObject({ credentials });
    } finally {
      await client.dispose();
    }
  });
});
