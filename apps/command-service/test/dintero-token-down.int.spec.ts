import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { handleCommand } from '@app/event-store';
import { paymentDecider, paymentStream } from '@app/payment-domain';
import { transaction } from '../../../libs/payment-domain/test/payment-fixtures';
import { startCommandService, type RunningCommandService } from '../../../test/support/command-service';
import { SEED, startSimulator, type RunningSimulator } from '../../../test/support/simulator';

/**
 * Dintero's token endpoint out of reach: no call to Dintero can be sent, so a start or a refund is refused before
 * anything is written, rather than recorded as sent with its outcome unknown (which held the terminal until the
 * reconciler found no trace of it, and told the POS `outcome_unknown`).
 */
describe('command service while Dintero gives no token', () => {
  let sim: RunningSimulator;
  let dir: string;
  let eventStoreUrl: string;
  let paymentId: string;
  const json = { 'content-type': 'application/json' };
  const service = (apiUrl: string) =>
    startCommandService({
      EVENT_STORE_URL: eventStoreUrl,
      DINTERO_API_URL: apiUrl,
      DINTERO_CHECKOUT_URL: sim.url,
      DINTERO_TIMEOUT_MS: '500',
    });
  const start = (on: RunningCommandService, key: string) =>
    on.fetch('/v1/terminal-payments', {
      method: 'POST',
      headers: { ...json, 'idempotency-key': key },
      body: JSON.stringify({
        storeId: 'oslo-center',
        terminalId: 'T-1',
        amount: 10_000,
        currency: 'NOK',
        merchantReference: 'token-down-1',
      }),
    });

  beforeAll(async () => {
    sim = await startSimulator();
    await sim.control('POST', '/seed', SEED);
    dir = mkdtempSync(path.join(tmpdir(), 'token-down-'));
    eventStoreUrl = `sqlite:${path.join(dir, 'events.db')}`;
    const registrar = await service(sim.url);
    for (const [route, body] of [
      ['/v1/stores/oslo-center', { name: 'Oslo', payoutDestinationId: 'seller-1', timeZone: 'Europe/Oslo' }],
      ['/v1/stores/oslo-center/terminals/T-1', {}],
      ['/v1/stores/oslo-center/terminals/T-2', {}],
    ] as const) {
      const response = await registrar.fetch(route, { method: 'PUT', headers: json, body: JSON.stringify(body) });
      expect(response.status).toBeLessThan(300);
    }
    await registrar.close();
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a start with 503 DINTERO_UNAVAILABLE, writing nothing; the same request later starts the payment', async () => {
    const key = randomUUID();
    const down = await service('http://127.0.0.1:1');
    try {
      const head = await down.log.headPosition();
      const refused = await start(down, key);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: 'DINTERO_UNAVAILABLE' });
      expect(await down.log.headPosition()).toBe(head);
    } finally {
      await down.close();
    }
    const up = await service(sim.url);
    try {
      const started = await start(up, key);
      expect(started.status).toBe(201);
      const payment = (await started.json()) as { paymentId: string; status: string };
      expect(payment.status).toBe('awaiting_card');
      paymentId = payment.paymentId;
    } finally {
      await up.close();
    }
  });

  it('refuses a refund with 503 DINTERO_UNAVAILABLE, writing nothing', async () => {
    const down = await service('http://127.0.0.1:1');
    try {
      // Captured, as ingest would record it from Dintero's callback.
      await handleCommand(
        down.log,
        paymentStream(paymentId),
        paymentDecider,
        {
          type: 'RecordDinteroTransaction',
          data: {
            transaction: transaction('CAPTURED', { amount: 10_000 }),
            source: 'callback',
            at: new Date().toISOString(),
          },
        },
        { metadata: { correlationId: 'token-down' } },
      );
      const head = await down.log.headPosition();
      const refused = await down.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
        method: 'POST',
        headers: { ...json, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ amount: 1_000, terminalId: 'T-2' }),
      });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: 'DINTERO_UNAVAILABLE' });
      expect(await down.log.headPosition()).toBe(head);
    } finally {
      await down.close();
    }
  });
});
