import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { InvalidEventStoreInputError } from '@app/event-store';
import { BatchAppendReq, BatchAppendResp } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_pb';
import { Status } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/status_pb';
import {
  SupportedMethod,
  SupportedMethods,
} from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_pb';
import { KurrentDbEventStore } from '../src/kurrentdb/kurrentdb-event-store';

// No KurrentDB server is needed: a node that speaks the client's protocol just enough to refuse an event as larger
// than its MaxAppendEventSize, in the two ways KurrentDB does (its Streams.BatchAppend.cs and Streams.Append.cs): the
// batch append (the client's path when the node says it has one) answers a `MaximumAppendEventSizeExceeded` status,
// which client 1.3 does not know; the single append (a node that says nothing of what it supports) fails the call
// with INVALID_ARGUMENT and the `maximum-append-event-size-exceeded` exception.

const MAX_APPEND_EVENT_SIZE = 65_536;

/** One protobuf field, as bytes: a varint (wire type 0) or length-delimited (wire type 2). */
function field(number: number, value: number | string | Uint8Array): Buffer {
  const varint = (n: number) => {
    const bytes: number[] = [];
    for (; n > 0x7f; n >>>= 7) bytes.push((n & 0x7f) | 0x80);
    bytes.push(n);
    return Buffer.from(bytes);
  };
  if (typeof value === 'number') return Buffer.concat([varint(number << 3), varint(value)]);
  const bytes = Buffer.from(value);
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

/** KurrentDB's `Status.MaximumAppendEventSizeExceeded`: INVALID_ARGUMENT, its name, and the details packed. */
function eventTooLarge(eventId: string, size: number): Status {
  const details = Buffer.concat([field(1, eventId), field(2, size), field(3, MAX_APPEND_EVENT_SIZE)]);
  const any = Buffer.concat([
    field(1, 'type.googleapis.com/event_store.client.MaximumAppendEventSizeExceeded'),
    field(2, details),
  ]);
  return Status.deserializeBinary(
    Buffer.concat([field(1, 3), field(2, 'MaximumAppendEventSizeExceeded'), field(3, any)]),
  );
}

/** A gRPC message frame: uncompressed, its length, the message. */
function frame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** The node: `batch` says whether it tells the client it has the batch append. */
async function refusingNode(batch: boolean): Promise<{ url: string; close: () => Promise<void> }> {
  const sessions = new Set<ServerHttp2Session>();
  const server: Http2Server = createHttp2Server();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    const ok = { ':status': 200, 'content-type': 'application/grpc' };
    if (path.endsWith('/GetSupportedMethods') && batch) {
      const methods = new SupportedMethods().setEventStoreServerVersion('25.1.0');
      methods.addMethods(
        new SupportedMethod().setServiceName('event_store.client.streams.Streams').setMethodName('BatchAppend'),
      );
      stream.respond(ok, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame(methods.serializeBinary()));
      return;
    }
    if (path.endsWith('/BatchAppend')) {
      stream.respond(ok);
      let buffered = Buffer.alloc(0);
      stream.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt32BE(1)) {
          const request = BatchAppendReq.deserializeBinary(buffered.subarray(5, 5 + buffered.readUInt32BE(1)));
          buffered = buffered.subarray(5 + buffered.readUInt32BE(1));
          const [proposed] = request.getProposedMessagesList();
          if (!request.getOptions() || !proposed) continue;
          const answer = new BatchAppendResp()
            .setCorrelationId(request.getCorrelationId())
            .setStreamIdentifier(request.getOptions()!.getStreamIdentifier())
            .setError(eventTooLarge(proposed.getId()!.getString(), 100_000));
          stream.write(frame(answer.serializeBinary()));
        }
      });
      return;
    }
    if (path.endsWith('/Append')) {
      stream.on('data', () => undefined);
      stream.on('end', () =>
        stream.respond(
          {
            ...ok,
            'grpc-status': '3',
            'grpc-message': `Event with Id: e-1, Size: 100000, exceeds Maximum Append Event Size of ${MAX_APPEND_EVENT_SIZE}.`,
            exception: 'maximum-append-event-size-exceeded',
            'maximum-append-event-size': String(MAX_APPEND_EVENT_SIZE),
            'event-id': 'e-1',
            'proposed-append-event-size': '100000',
          },
          { endStream: true },
        ),
      );
      return;
    }
    // Anything else (the question of what it supports, for the node without the batch append): not implemented.
    stream.respond({ ...ok, 'grpc-status': '12' }, { endStream: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `kurrentdb://127.0.0.1:${port}?tls=false`,
    close: async () => {
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('KurrentDB: a node that refuses an event as larger than its MaxAppendEventSize', () => {
  it.each([
    ['the batch append', true],
    ['the single append', false],
  ])(
    'refuses it through %s as invalid input (a 400), not as the log unavailable (a 503 retried for good)',
    async (_, batch) => {
      const node = await refusingNode(batch);
      const store = new KurrentDbEventStore(node.url, undefined, { appendTimeoutMs: 5_000 });
      try {
        const append = store.append('payment-big', [{ type: 'Happened', data: { note: 'x'.repeat(100_000) } }], {
          expectedRevision: 'any',
        });
        await expect(append).rejects.toThrow(InvalidEventStoreInputError);
        await expect(append).rejects.toThrow(
          batch
            ? /larger than the server's MaxAppendEventSize\)/
            : /larger than the server's MaxAppendEventSize of 65536 bytes/,
        );
      } finally {
        await store.close();
        await node.close();
      }
    },
  );
});
