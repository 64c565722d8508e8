import { Kvm } from '@nats-io/kv';
import { natsNames } from '@app/messaging';
import { paymentStream, type PaymentState } from '@app/payment-domain';
import { startRecordingProxy, type RecordingProxy } from '../../../test/conformance/recording-proxy';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';
import { ReconcilerService } from '../src/reconciler/reconciler.service';

const OPEN = ['requested', 'awaiting_card', 'outcome_unknown', 'on_hold', 'authorized'];
const final = (state: PaymentState) => state.status !== 'none' && !OPEN.includes(state.status);
const PAYMENTS = 200;

/**
 * Several ingest instances over one log: they share the due work through leases in NATS KV, and resume
 * from a shared checkpoint instead of replaying the log. Dintero's reports never arrive (every delivery is
 * dropped), so only the reconcilers can settle the payments, and a recording proxy in front of the
 * simulator counts how often Dintero was asked about each session.
 */
describe('ingest: several reconciler instances', () => {
  let engine: Engine;
  let proxy: RecordingProxy;
  const instances: RunningIngestService[] = [];

  beforeAll(async () => {
    engine = await startEngine({
      command: { SESSION_TTL_SECONDS: '10', CLAIM_MARGIN_SECONDS: '30' },
      // The engine's own ingest takes deliveries only: the instances under test do the reconciling.
      ingest: { RECONCILER_ENABLED: 'false' },
    });
    await engine.sim.control('PUT', '/chaos', { dropRate: 1 });
    proxy = await startRecordingProxy();
    proxy.target = engine.sim.url;
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await proxy.close();
    await engine.close();
  });

  const reconciler = (env: Record<string, string> = {}) =>
    startIngestService({
      EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
      NATS_PREFIX: engine.prefix,
      DINTERO_API_URL: proxy.url,
      DINTERO_CHECKOUT_URL: proxy.url,
      RECONCILER_GRACE_SECONDS: '0',
      RECONCILER_MAX_PER_SECOND: '1000',
      ...env,
    }).then((instance) => {
      instances.push(instance);
      return instance;
    });
  const sessionLooks = () => {
    const looks = new Map<string, number>();
    for (const exchange of proxy.exchanges) {
      const match = /^\/v1\/sessions\/([^/]+)$/.exec(exchange.path);
      if (exchange.method === 'GET' && match) looks.set(match[1]!, (looks.get(match[1]!) ?? 0) + 1);
    }
    return looks;
  };

  it('resumes from the checkpoint: a payment due later is settled by an instance that never read its events', async () => {
    await engine.terminals('bergen', 'C-1');
    const { paymentId } = (await engine.start('bergen', 'C-1', 10_000)) as { paymentId: string };
    // The position of the payment's last event (the log's head may be another stream's).
    const head = (await engine.log.readStream(paymentStream(paymentId))).at(-1)!.position;
    const first = await reconciler();
    await waitUntil(() => first.app.get(ReconcilerService).following >= head, 5_000, 'the first instance caught up');
    // Stopping saves the checkpoint; the payment's session has not expired yet, so it is still due.
    await first.close();
    instances.splice(instances.indexOf(first), 1);

    const second = await reconciler();
    expect(second.app.get(ReconcilerService).resumedFrom).toBeGreaterThanOrEqual(head);
    const state = await engine.waitForPayment(paymentId, final, 'settled from the checkpoint alone');
    expect(state.status).toBe('expired');
    await second.close();
    instances.splice(instances.indexOf(second), 1);
  });

  it('two instances settle 200 due payments, each asked about once or twice, not once per instance', async () => {
    const terminals = Array.from({ length: PAYMENTS }, (_, index) => `M-${index + 1}`);
    await engine.terminals('oslo', ...terminals);
    // Started ten at a time, where one after another took 9 s of the test's time.
    const started: string[] = [];
    for (let from = 0; from < PAYMENTS; from += 10) {
      const some = terminals.slice(from, from + 10).map((terminalId) => engine.start('oslo', terminalId, 10_000));
      for (const payment of await Promise.all(some)) started.push((payment as { paymentId: string }).paymentId);
    }
    proxy.exchanges.length = 0;
    await Promise.all([reconciler(), reconciler()]);

    for (const paymentId of started) {
      const state = await engine.waitForPayment(paymentId, final, 'settled by one of the instances');
      expect(state.status).toBe('expired');
    }
    const looks = sessionLooks();
    expect(looks.size).toBe(PAYMENTS);
    const most = Math.max(...looks.values());
    const total = [...looks.values()].reduce((sum, count) => sum + count, 0);
    expect(most).toBeLessThanOrEqual(2);
    // Without the leases every payment would be asked about by both: 2 × 200.
    expect(total).toBeLessThan(1.5 * PAYMENTS);
  });

  it('keeps the lease on a payment stuck at UNKNOWN until its next look, past the lease length', async () => {
    // Only the instance under test looks at it.
    for (const instance of instances.splice(0)) await instance.close();
    await engine.terminals('tromso', 'U-1');
    // Dintero will call this transaction UNKNOWN (the simulator's amount table); its reports are dropped.
    const { paymentId } = (await engine.start('tromso', 'U-1', 10_050)) as { paymentId: string };
    await engine.sim.control('POST', '/terminals/U-1/present', {});
    const looking = await reconciler({ RECONCILER_LEASE_SECONDS: '1', RECONCILER_UNKNOWN_DELAY_SECONDS: '0' });
    await engine.waitForPayment(paymentId, (state) => state.status === 'outcome_unknown', 'found UNKNOWN');
    // Asked about again after a pause that doubles (1 s, 2 s, 4 s, …): once the pause outgrows the 1 s lease, the
    // lease says it holds until past the next look. Let lapse after 1 s, another instance would look meanwhile.
    const kv = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.reconcilerLeases);
    await waitUntil(
      async () => {
        const lease = (await kv.get(paymentId))?.string();
        return lease !== undefined && Number(lease.split('|')[1]) - Date.now() > 1_500;
      },
      15_000,
      'a lease held past its length, until the next look',
    );
    await looking.close();
    instances.splice(instances.indexOf(looking), 1);
  });
});
