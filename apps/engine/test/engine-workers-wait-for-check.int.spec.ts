import { Kvm } from '@nats-io/kv';
import { handleCommand, logIdentity, type EventStore } from '@app/event-store';
import { leaseHolder, natsNames, PROJECTOR_LEADER_KEY } from '@app/messaging';
import { paymentDecider, paymentStream, terminalDecider, terminalStream } from '@app/payment-domain';
import { startRecordingProxy, type RecordingProxy } from '../../../test/conformance/recording-proxy';
import { freePort, waitUntil } from '../../../test/support/app-process';
import { closeDays } from '../../../test/support/nightly-close-history';
import { ownLogAndNats } from '../../../test/support/own-log-and-nats';
import { writePosClients } from '../../../test/support/pos-clients';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';
import { healthOf } from '../../../test/support/started-app';
import {
  nightlyCloseRequested,
  storeDueAtOnce,
  workersAtWorkEnv,
} from '../../ingest-service/test/support/workers-at-work';
import { startEngine, type RunningEngine } from '../src/engine';

/**
 * The projector lease's length: how long the lease of the other log's engine, which died, holds on. Long enough for the
 * engine's start (three apps in one process, slower on a loaded machine) to leave ingest listening for seconds of it.
 */
const LEASE_SECONDS = 10;

/**
 * A payment requested at `terminalId` whose session was never recorded, its time long over: the reconciler asks
 * Dintero for its transactions (by its id), finds none, and records it expired.
 */
async function requestedLongAgo(log: EventStore, storeId: string, terminalId: string): Promise<string> {
  const paymentId = `pay-${terminalId}`;
  const at = Date.now() - 600_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const metadata = { correlationId: 'engine-workers-wait-for-check' };
  const claim = { terminalId, claimId: paymentId, paymentId, storeId };
  await handleCommand(
    log,
    terminalStream(terminalId),
    terminalDecider,
    { type: 'ClaimTerminal', data: { ...claim, kind: 'payment', claimedAt: iso(at), expiresAt: iso(at + 120_000) } },
    { metadata },
  );
  await handleCommand(
    log,
    paymentStream(paymentId),
    paymentDecider,
    {
      type: 'RequestPayment',
      data: {
        ...claim,
        payoutDestinationId: 'seller-1',
        amount: 10_000,
        currency: 'NOK',
        merchantReference: `REF-${terminalId}`,
        posClientId: 'pos',
        requestedAt: iso(at),
        expiresAt: iso(at + 60_000),
      },
    },
    { metadata },
  );
  return paymentId;
}

/**
 * In `apps/engine` ingest's background workers (the reconciler, the nightly close, the terminal statuses, the
 * operations) wait for the check that no engine of another log runs on the NATS prefix, and that check is the
 * projector's (`SharedInfrastructure.anotherLogCheck`): ingest, started first, has no guard of its own. Here the
 * projector of an engine of another log died on the prefix, and its lease holds on for one lease more: the projector
 * waits for it to lapse before it checks (`refuseEngineOfAnotherLog`). Meanwhile nothing of ingest's workers may
 * reach the log or Dintero; once the check is made, they do their work. Given no check (ingest, guardless in the engine,
 * then makes its own, made at once) or one made at once, they wrote a close and a settlement, and called Dintero,
 * while the engine could not yet tell whether its log was the prefix's.
 */
describe('the one-process engine’s ingest workers before its projector’s check', () => {
  let sim: RunningSimulator;
  let proxy: RecordingProxy;
  let starting: Promise<RunningEngine> | undefined;
  const own = ownLogAndNats('engine-workers-wait-for-check', async () => {
    await starting?.then(
      (engine) => engine.close(),
      () => undefined,
    );
    await proxy?.close();
    await sim?.close();
  });
  const { prefix } = own;
  const { due } = closeDays();

  beforeAll(async () => {
    sim = await startSimulator({ SIM_OPERATION_DELAY_MS: '100' });
    // Every call of the engine to Dintero, recorded on its way.
    proxy = await startRecordingProxy();
    proxy.target = sim.url;
  });

  it('leaves the log and Dintero alone until the projector has checked, and works once it has', async () => {
    const { log, nats } = own;
    // Named before: the projector's first read of the log's identity would otherwise write it.
    await logIdentity(log);
    await storeDueAtOnce(log, sim, 'ew-a', 'EW-1');
    const paymentId = await requestedLongAgo(log, 'ew-a', 'EW-P');
    const head = await log.headPosition();

    const lease = await new Kvm(nats).create(natsNames(prefix).buckets.projectorLease, {
      history: 1,
      ttl: LEASE_SECONDS * 1_000,
    });
    const otherHolder = leaseHolder('projector-of-another-log', 'another-log');
    await lease.put(PROJECTOR_LEADER_KEY, otherHolder);
    // Until it lapses the projector cannot have made the check, whatever the apps say of it.
    const otherLogHolds = async () => (await lease.get(PROJECTOR_LEADER_KEY))?.string() === otherHolder;

    const ingestPort = await freePort();
    const ingest = `http://127.0.0.1:${ingestPort}`;
    // Ingest listens before the projections app starts, whose start waits on the projector's check: the engine's
    // start ends only once the check is made.
    starting = startEngine({
      LOG_LEVEL: 'silent',
      ...own.env,
      ...workersAtWorkEnv(proxy.url),
      PROJECTOR_LEASE_SECONDS: String(LEASE_SECONDS),
      POS_CLIENTS_FILE: writePosClients(own.dir),
      COMMAND_SERVICE_PORT: String(await freePort()),
      INGEST_SERVICE_PORT: String(ingestPort),
      PROJECTIONS_PORT: String(await freePort()),
    });
    starting.catch(() => undefined);

    // What the log and Dintero were sent while the other log's lease still held: read before the lease, so that
    // whatever is seen was done before the check.
    const whileHeld = new Set<string>();
    let listening: number | undefined;
    let lastHeld: number | undefined;
    await waitUntil(
      async () => {
        const events = await log.readAll({ after: head, limit: 1_000 });
        const calls = proxy.exchanges.map(({ method, path }) => `Dintero: ${method} ${path}`);
        listening ??= (await healthOf(ingest).catch(() => undefined)) ? Date.now() : undefined;
        if (!(await otherLogHolds())) return true;
        lastHeld = Date.now();
        for (const { type, streamName } of events) whileHeld.add(`log: ${type} in ${streamName}`);
        for (const call of calls) whileHeld.add(call);
        return false;
      },
      (LEASE_SECONDS + 20) * 1_000,
      'the lease of the other log’s engine lapsed',
    );
    expect([...whileHeld]).toEqual([]);
    // Ingest ran long enough under the held check for workers that go round every 100 to 200 ms to have done their
    // work many times over.
    expect(listening).toBeDefined();
    expect(lastHeld! - listening!).toBeGreaterThanOrEqual(2_000);

    await starting;
    // The reconciler asks Dintero for the payment's transactions and records it expired; the nightly close records its
    // request, and asks Dintero to close.
    const calls = () =>
      proxy.exchanges.map(({ method, path, query }) =>
        [`${method} ${path}`, query.get('merchant_reference_2')].filter(Boolean).join(' of '),
      );
    const expired = async () =>
      (await log.readStream(paymentStream(paymentId))).some(({ type }) => type === 'PaymentExpired');
    await waitUntil(
      async () =>
        calls().includes(`GET /v1/transactions of ${paymentId}`) &&
        calls().includes('POST /v1/admin/terminals/operations') &&
        (await expired()) &&
        (await nightlyCloseRequested(log, 'EW-1', due)),
      30_000,
      'the reconciler’s settlement and the nightly close’s request, at Dintero and in the log',
    );
    expect((await log.readAll({ after: head, limit: 1_000 })).map(({ type }) => type)).toContain(
      'NightlyCloseSwitched',
    );
  }, 90_000);
});
