import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCommandService, type RunningCommandService } from '../../../test/support/command-service';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';

/**
 * A fresh ingest service's `/metrics`: each labelled counter whose values are a fixed set has every series at 0
 * before anything has counted, so that an alert rule on one sees 0, not "no data".
 */
describe('the counters of a fresh ingest service', () => {
  let ingest: RunningIngestService;
  let dir: string;
  let metrics: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'metrics-at-zero-'));
    ingest = await startIngestService({
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      DINTERO_API_URL: 'http://127.0.0.1:9',
      DINTERO_CHECKOUT_URL: 'http://127.0.0.1:9',
      DINTERO_CALLBACK_SECRET: 'callback-secret',
      DINTERO_WEBHOOK_SECRET: 'webhook-secret',
      // The reconciler on (its log follower is counted), over an empty log: nothing is due; swept only when asked.
      RECONCILER_REFUND_SWEEP_MINUTES: '0',
      // On, over an empty log: no store, nothing to close.
      NIGHTLY_CLOSE_ENABLED: 'true',
    });
    metrics = await (await fetch(`${ingest.url}/metrics`)).text();
  });
  afterAll(async () => {
    await ingest?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const series = (name: string, labels: string) => `${name}{${labels},app="ingest-service"} 0`;

  it.each([
    ['payments_reconciler_payments_total', ['settled', 'still_open', 'failed', 'leased_elsewhere']],
    ['payments_reconciler_refund_sweeps_total', ['completed', 'failed', 'abandoned', 'leased_elsewhere']],
    ['payments_reconciler_refund_sweep_transactions_total', ['listed', 'ours', 'recorded', 'not_in_log', 'failed']],
    ['payments_nightly_closes_total', ['started', 'recorded', 'busy', 'failed', 'given_up']],
  ])('lists %s by each result at 0', (name, results) => {
    for (const result of results) expect(metrics).toContain(series(name, `result="${result}"`));
  });

  it('lists each delivery source by each of its results at 0', () => {
    for (const source of ['callback', 'webhook'])
      for (const result of ['recorded', 'duplicate', 'ignored', 'refused', 'failed'])
        expect(metrics).toContain(series('payments_dintero_deliveries_total', `source="${source}",result="${result}"`));
    for (const result of ['recorded', 'duplicate', 'ignored'])
      expect(metrics).toContain(series('payments_dintero_deliveries_total', `source="reconciler",result="${result}"`));
  });

  it("lists each log follower's drops and handling failures at 0", () => {
    const followers = [...metrics.matchAll(/^event_log_subscription_up\{subscriber="([^"]+)"/gm)].map((m) => m[1]);
    expect(followers.length).toBeGreaterThan(0);
    for (const subscriber of followers) {
      expect(metrics).toContain(series('event_log_subscription_drops_total', `subscriber="${subscriber}"`));
      expect(metrics).toContain(series('event_log_handling_failures_total', `subscriber="${subscriber}"`));
    }
  });

  it('creates no series per route or event type before they count', () => {
    expect(metrics).not.toMatch(/^payments_facts_recorded_total\{/m);
  });
});

/**
 * Every app registers the engine's metrics; only the one running the service that counts them lists them at 0, so that
 * a series at 0 says that service runs (an alert on the reconciler's is not fooled by another app's `/metrics`).
 */
describe("the ingest service's counters elsewhere", () => {
  let command: RunningCommandService | undefined;
  afterAll(() => command?.close());

  it('are not listed by a fresh command service', async () => {
    command = await startCommandService();
    const metrics = await (await command.fetch('/metrics')).text();
    for (const name of [
      'payments_reconciler_payments_total',
      'payments_reconciler_refund_sweeps_total',
      'payments_nightly_closes_total',
      'payments_dintero_deliveries_total',
    ])
      expect(metrics).not.toMatch(new RegExp(`^${name}\\{`, 'm'));
  });
});
