import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { handleCommand, SqliteEventStore, WrongExpectedRevisionError, type EventStore } from '@app/event-store';
import {
  DomainError,
  paymentDecider,
  paymentStream,
  terminalDecider,
  terminalStream,
  type PaymentCommand,
  type TerminalCommand,
} from '@app/payment-domain';

const metadata = { correlationId: 'c-1', occurredAt: '2026-11-23T10:00:00.000Z' };
const claim = (i: number): TerminalCommand => ({
  type: 'ClaimTerminal',
  data: {
    terminalId: 'T-1',
    claimId: `claim-${i}`,
    kind: 'payment',
    paymentId: `pay-${i}`,
    storeId: 'oslo-center',
    claimedAt: '2026-11-23T10:00:00.000Z',
    expiresAt: '2026-11-23T10:05:00.000Z',
  },
});

describe('command handling on the SQLite log', () => {
  let dir: string;
  let store: EventStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'command-handler-'));
    store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets exactly one of 50 concurrent claims on a terminal win; the others are told who holds it (invariant 1)', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        handleCommand(store, terminalStream('T-1'), terminalDecider, claim(i), { metadata }),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    const winner = (await store.readStream(terminalStream('T-1')))[0]!.data as { paymentId: string };
    for (const { reason } of lost) {
      expect(reason).toBeInstanceOf(DomainError);
      expect(reason).toMatchObject({ code: 'TERMINAL_BUSY', details: { activePaymentId: winner.paymentId } });
    }
    expect(await store.readStream(terminalStream('T-1'))).toHaveLength(1);
  });

  describe('deciding on the state this process folded last, without reading', () => {
    let other: EventStore;
    beforeEach(() => {
      // Another process on the same file: its writes are not in this process's cached state.
      other = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    });
    afterEach(() => other.close());
    const release = (i: number): TerminalCommand => ({
      type: 'ReleaseTerminal',
      data: { terminalId: 'T-1', claimId: `claim-${i}`, reason: 'finished', at: '2026-11-23T10:01:00.000Z' },
    });

    it('appends once on a state another process has moved on: the append at the cached revision fails, the log is read', async () => {
      await handleCommand(store, terminalStream('T-1'), terminalDecider, claim(1), { metadata });
      await handleCommand(other, terminalStream('T-1'), terminalDecider, release(1), { metadata });
      // This process still has T-1 claimed by claim-1; releasing claim-1 again must be a no-op, not a second release.
      const again = await handleCommand(store, terminalStream('T-1'), terminalDecider, release(1), { metadata });
      expect(again.events).toEqual([]);
      expect((await store.readStream(terminalStream('T-1'))).map((e) => e.type)).toEqual([
        'TerminalClaimed',
        'TerminalReleased',
      ]);
    });

    it('takes a refusal on its cached state again on the log: a terminal released elsewhere is claimed', async () => {
      await handleCommand(store, terminalStream('T-1'), terminalDecider, claim(1), { metadata });
      await handleCommand(other, terminalStream('T-1'), terminalDecider, release(1), { metadata });
      // Cached: claimed by claim-1, so TERMINAL_BUSY; the log: free.
      const claimed = await handleCommand(store, terminalStream('T-1'), terminalDecider, claim(2), { metadata });
      expect(claimed.events.map((e) => e.type)).toEqual(['TerminalClaimed']);
      expect((await store.readStream(terminalStream('T-1'))).map((e) => e.type)).toEqual([
        'TerminalClaimed',
        'TerminalReleased',
        'TerminalClaimed',
      ]);
    });

    it('writes a stream expected to be new without reading it, and decides on the log when it exists after all', async () => {
      const reads = jest.spyOn(store, 'readStream');
      const fresh = await handleCommand(store, terminalStream('T-new'), terminalDecider, claim(1), {
        metadata,
        expectNew: true,
      });
      expect(fresh.events.map((e) => e.type)).toEqual(['TerminalClaimed']);
      expect(reads).not.toHaveBeenCalled();
      // Another process wrote the stream this one expects to be new: the append as no_stream fails, the log
      // is read, and the command is decided on it (T-2 is busy with the other's claim).
      await handleCommand(other, terminalStream('T-2'), terminalDecider, claim(2), { metadata });
      await expect(
        handleCommand(store, terminalStream('T-2'), terminalDecider, claim(3), {
          metadata,
          expectNew: true,
          maxAttempts: 1,
        }),
      ).rejects.toMatchObject({ code: 'TERMINAL_BUSY' });
      expect(reads).toHaveBeenCalled();
      expect(await store.readStream(terminalStream('T-2'))).toHaveLength(1);
      reads.mockRestore();
    });

    it('does not count a stale cached state as an attempt', async () => {
      await handleCommand(store, terminalStream('T-1'), terminalDecider, claim(1), { metadata });
      await handleCommand(other, terminalStream('T-1'), terminalDecider, release(1), { metadata });
      const handled = await handleCommand(store, terminalStream('T-1'), terminalDecider, claim(3), {
        metadata,
        maxAttempts: 1,
      });
      expect(handled.events.map((e) => e.type)).toEqual(['TerminalClaimed']);
    });
  });

  it('records nothing for a command whose facts are already recorded', async () => {
    await handleCommand(store, terminalStream('T-1'), terminalDecider, claim(1), { metadata });
    const again = await handleCommand(store, terminalStream('T-1'), terminalDecider, claim(1), { metadata });
    expect(again.events).toEqual([]);
    expect(again.state).toMatchObject({ status: 'claimed', claim: { claimId: 'claim-1' } });
  });

  it('records one capture when callback, webhook and reconciler report it at once (invariant 3)', async () => {
    const stream = paymentStream('pay-1');
    const request: PaymentCommand = {
      type: 'RequestPayment',
      data: {
        paymentId: 'pay-1',
        storeId: 'oslo-center',
        terminalId: 'T-1',
        payoutDestinationId: 'seller-1',
        amount: 39_900,
        currency: 'NOK',
        merchantReference: 'POS-1',
        posClientId: 'till-3',
        claimId: 'claim-1',
        requestedAt: '2026-11-23T10:00:00.000Z',
        expiresAt: '2026-11-23T10:05:00.000Z',
      },
    };
    await handleCommand(store, stream, paymentDecider, request, { metadata });
    const report = (source: 'callback' | 'webhook' | 'reconciler'): PaymentCommand => ({
      type: 'RecordDinteroTransaction',
      data: {
        transaction: { transactionId: 'T12345678.tx1', status: 'CAPTURED', amount: 39_900, currency: 'NOK' },
        source,
        at: '2026-11-23T10:00:20.000Z',
      },
    });
    const sources = ['callback', 'webhook', 'reconciler'] as const;
    await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        handleCommand(store, stream, paymentDecider, report(sources[i % 3]!), { metadata }),
      ),
    );
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['PaymentRequested', 'PaymentCaptured']);
  });

  const alwaysWrites = {
    initialState: 0,
    decide: (_: unknown, n: number) => [{ type: 'Ticked', data: { n } }],
    evolve: (n: number) => n + 1,
  };

  it('takes commands on one stream in turn in a process: none conflicts with another of the same process', async () => {
    const appends = jest.spyOn(store, 'append');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        handleCommand(store, 'counter-1', alwaysWrites, {}, { metadata, maxAttempts: 1 }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(Array<string>(10).fill('fulfilled'));
    expect(appends).toHaveBeenCalledTimes(10);
    expect((await store.readStream('counter-1')).map((e) => (e.data as { n: number }).n)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });

  it('gives up after its attempts when writers of two processes keep conflicting', async () => {
    const other = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          handleCommand(i % 2 === 0 ? store : other, 'counter-1', alwaysWrites, {}, { metadata, maxAttempts: 1 }),
        ),
      );
      const conflicts = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(conflicts.length).toBeGreaterThan(0);
      conflicts.forEach((o) => expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError));
      expect(await store.readStream('counter-1')).toHaveLength(10 - conflicts.length);
    } finally {
      await other.close();
    }
  });
});
