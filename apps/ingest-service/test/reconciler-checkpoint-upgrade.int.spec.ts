import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { logIdentity, SqliteEventStore } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { startRecordingProxy, type RecordingProxy } from '../../../test/conformance/recording-proxy';
import { waitUntil } from '../../../test/support/app-process';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';
import { NATS_URL, removeNatsState } from '../../../test/support/nats-state';
import { uniquePrefix } from '../../../test/support/projections';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';

const UNKNOWN_DELAY_SECONDS = 1;
/** The sessions here run this long: a look at their end comes far too late. */
const SESSION_MS = 60_000;
/** Well within a session, and ample for a look due a second after the reconciler starts. */
const IN_TIME_MS = 15_000;

/**
 * The reconciler upgraded over a checkpoint an older version saved. Before the due-payment snapshot kept
 * `transactionUnknown` and `cancelling`, it said `version: 1` as it says now: each payment's entry had neither,
 * and its `dueAt` was as that version scheduled it (a cancel was not looked at before the session's end). The
 * checkpoint is written here by hand, as that version wrote it; the log under it is a SQLite file of its own.
 */
describe('the reconciler over a checkpoint saved by a version before it kept unknown outcomes and cancels', () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(path.join(tmpdir(), 'reconciler-upgrade-'));
  let sim: RunningSimulator;
  let proxy: RecordingProxy;
  let nats: NatsConnection;
  let n = 0;
  beforeAll(async () => {
    sim = await startSimulator();
    proxy = await startRecordingProxy();
    proxy.target = sim.url;
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await nats.close();
    await proxy.close();
    await sim.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A log of one open payment: `before` are its events up to the checkpoint, `after` those written once it was
   * saved. The checkpoint holds `entry` for the payment, in the old shape. The reconciler is then started on it.
   */
  const upgradeOver = async (
    before: (ids: Ids) => readonly Written[],
    entry: (ids: Ids) => Record<string, unknown>,
    after: (ids: Ids) => readonly Written[],
  ): Promise<{ ids: Ids; ingest: RunningIngestService }> => {
    n += 1;
    const file = path.join(dir, `events-${n}.db`);
    const now = Date.now();
    const ids: Ids = {
      paymentId: `pay-${n}`,
      sessionId: `session-${n}`,
      transactionId: `tx-${n}`,
      at: new Date(now).toISOString(),
      expiresAt: new Date(now + SESSION_MS).toISOString(),
    };
    const log = new SqliteEventStore({ file });
    const logId = await logIdentity(log);
    const stream = `payment-${ids.paymentId}`;
    await log.append(stream, before(ids), { expectedRevision: 'no_stream' });
    const position = await log.headPosition();
    const old = {
      version: 1,
      position: position.toString(),
      savedAt: ids.at,
      due: [
        {
          paymentId: ids.paymentId,
          ended: false,
          known: true,
          attempts: 0,
          ...entry(ids),
          openClaims: [],
          pendingRefunds: [],
        },
      ],
    };
    const store = await new Objm(nats).create(natsNames(`${prefix}-${n}`).objectStores.reconciler);
    await store.putBlob(
      { name: `due-payments.${logId}`, description: position.toString() },
      Buffer.from(JSON.stringify(old), 'utf8'),
    );
    const more = after(ids);
    if (more.length > 0) await log.append(stream, more, { expectedRevision: 'any' });
    await log.close();
    const ingest = await startIngestService({
      EVENT_STORE_URL: `sqlite:${file}`,
      NATS_PREFIX: `${prefix}-${n}`,
      DINTERO_API_URL: proxy.url,
      DINTERO_CHECKOUT_URL: proxy.url,
      RECONCILER_GRACE_SECONDS: '0',
      RECONCILER_UNKNOWN_DELAY_SECONDS: String(UNKNOWN_DELAY_SECONDS),
    });
    return { ids, ingest };
  };
  const askedAbout = (what: string, method?: string) =>
    proxy.exchanges.some(
      (exchange) => exchange.path.includes(what) && (method === undefined || exchange.method === method),
    );

  it('sends again, while the session runs, a cancel the POS asked for before the checkpoint', async () => {
    const { ids, ingest } = await upgradeOver(
      (ids) => [requested(ids), session(ids), { type: 'CancellationRequested', data: { by: 'pos-1', at: ids.at } }],
      // That version left the cancel to the session's end.
      (ids) => ({ dueAt: Date.parse(ids.expiresAt) }),
      () => [],
    );
    try {
      await waitUntil(
        () => Promise.resolve(askedAbout(`/v1/sessions/${ids.sessionId}/cancel`, 'POST')),
        IN_TIME_MS,
        'the cancel sent again within the session',
      );
    } finally {
      await ingest.close();
      await removeNatsState(`${prefix}-${n}`);
    }
  });

  it('replaces the older checkpoint at its first save, though the log did not move past it', async () => {
    const { ingest } = await upgradeOver(
      (ids) => [requested(ids), session(ids), { type: 'PaymentCancelled', data: { ...fact(ids), by: 'pos' } }],
      (ids) => ({ dueAt: Date.parse(ids.expiresAt), ended: true }),
      () => [],
    );
    const store = await new Objm(nats).open(natsNames(`${prefix}-${n}`).objectStores.reconciler);
    try {
      // Saved at the stop, if not before: the log is as far as the old checkpoint, no further.
      await ingest.close();
      const [saved] = (await store.list()).filter((each) => each.name.startsWith('due-payments.'));
      const stored = JSON.parse(Buffer.from((await store.getBlob(saved!.name))!).toString('utf8')) as {
        version: number;
      };
      expect(stored.version).toBe(2);
    } finally {
      await removeNatsState(`${prefix}-${n}`);
    }
  });

  it('asks Dintero soon about a transaction reported UNKNOWN before the checkpoint, its session recorded after', async () => {
    const { ids, ingest } = await upgradeOver(
      (ids) => [requested(ids), { type: 'TransactionOutcomeUnknown', data: fact(ids) }],
      // That version looked after `unknownDelay`, found it still open, and would look again a few seconds later.
      () => ({ dueAt: Date.now() + 5_000 }),
      // The command service's answer from Dintero came late: the session is recorded after the checkpoint.
      (ids) => [session(ids)],
    );
    try {
      await waitUntil(
        () => Promise.resolve(askedAbout(ids.sessionId) || askedAbout(ids.transactionId)),
        IN_TIME_MS,
        'Dintero asked about the unknown transaction within the session',
      );
    } finally {
      await ingest.close();
      await removeNatsState(`${prefix}-${n}`);
    }
  });
});

interface Ids {
  readonly paymentId: string;
  readonly sessionId: string;
  readonly transactionId: string;
  readonly at: string;
  readonly expiresAt: string;
}
interface Written {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

const requested = ({ paymentId, at, expiresAt }: Ids): Written => ({
  type: 'PaymentRequested',
  data: {
    paymentId,
    storeId: 'oslo',
    terminalId: 'T-1',
    payoutDestinationId: 'seller-1',
    amount: 10_000,
    currency: 'NOK',
    merchantReference: `REF-${paymentId}`,
    posClientId: 'pos-1',
    claimId: paymentId,
    requestedAt: at,
    expiresAt,
  },
});
const session = ({ sessionId, at, expiresAt }: Ids): Written => ({
  type: 'SessionCreated',
  data: { sessionId, expiresAt, at },
});
const fact = ({ transactionId, at }: Ids) => ({ source: 'callback', at, dinteroAt: at, transactionId });
