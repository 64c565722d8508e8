import type { NewEvent, RecordedEvent } from '@app/event-store';
import { paymentEvents } from '../../../test/support/payment-events';
import { storeRegistered } from '../../../test/support/recorded-events';
import { ReadModelProjector } from '../src/read-models/read-model.projector';

/**
 * The engine times each fact of a store, a terminal and a payment in its data (`at`, `claimedAt`, `requestedAt`);
 * the metadata's `occurredAt` is the same instant. The fold reads the data: a rebuild, which parses an event's
 * metadata only when read (`lazyMetadata`), then parses none of theirs.
 */
describe('the fold of the facts the engine records for its payments', () => {
  const DAY = Date.parse('2026-11-24T08:00:00.000Z');

  /** The appends as recorded events, in order, each counting in `metadataRead` the reads of its metadata. */
  function recorded(appends: readonly { stream: string; events: readonly NewEvent[] }[], metadataRead: string[]) {
    let position = 0n;
    const revisions = new Map<string, number>();
    return appends.flatMap(({ stream, events }) =>
      events.map((event): RecordedEvent => {
        const revision = revisions.get(stream) ?? 0;
        revisions.set(stream, revision + 1);
        const { id = `e-${position + 1n}`, type, data, metadata = {} } = event;
        const read: RecordedEvent = { id, type, data, metadata, streamName: stream, revision, position: ++position };
        return Object.defineProperty(read, 'metadata', {
          get: () => {
            metadataRead.push(type);
            return metadata;
          },
          enumerable: true,
        });
      }),
    );
  }

  const registered = (terminals: readonly string[]) => ({
    stream: 'store-oslo',
    events: [
      storeRegistered('oslo', new Date(DAY).toISOString()),
      ...terminals.map((terminalId) => ({
        type: 'TerminalRegistered',
        data: { storeId: 'oslo', terminalId, at: new Date(DAY).toISOString() },
      })),
    ],
  });

  it('reads no metadata, whatever the payment became (captured, refunded, declined, cancelled, expired)', () => {
    const metadataRead: string[] = [];
    // One payment of each outcome (`paymentEvents` picks it by n), a minute apart, on two terminals.
    const payments = Array.from({ length: 20 }, (_, n) =>
      paymentEvents(n, { storeId: 'oslo', terminalId: `T-${n % 2}` }, DAY + n * 60_000),
    );
    const projector = new ReadModelProjector();
    for (const event of recorded([registered(['T-0', 'T-1']), ...payments.flat()], metadataRead))
      projector.apply(event);

    expect(metadataRead).toEqual([]);
    expect(projector.terminal('oslo', 'T-1')).toMatchObject({
      status: 'idle',
      lastHeardAt: new Date(DAY + 19 * 60_000).toISOString(),
      today: { date: '2026-11-24', payments: 10 },
    });
  });

  it('hears of a terminal at its payment’s request, timed by the request’s data', () => {
    const metadataRead: string[] = [];
    const claimedAt = new Date(DAY).toISOString();
    const requestedAt = new Date(DAY + 2_000).toISOString();
    const claim = { terminalId: 'T-1', claimId: 'p-1', paymentId: 'p-1', storeId: 'oslo' };
    const events = recorded(
      [
        registered(['T-1']),
        {
          stream: 'terminal-T-1',
          events: [{ type: 'TerminalClaimed', data: { ...claim, kind: 'payment', claimedAt, expiresAt: claimedAt } }],
        },
        {
          stream: 'payment-p-1',
          events: [
            {
              type: 'PaymentRequested',
              data: { ...claim, amount: 1_000, currency: 'NOK', requestedAt, expiresAt: requestedAt },
              // An engine's request says the same instant in its metadata: here it says none.
              metadata: { correlationId: 'c-1' },
            },
          ],
        },
      ],
      metadataRead,
    );
    const projector = new ReadModelProjector();
    for (const event of events) projector.apply(event);

    expect(projector.terminal('oslo', 'T-1')).toMatchObject({ status: 'starting', lastHeardAt: requestedAt });
    expect(metadataRead).toEqual([]);
  });
});
