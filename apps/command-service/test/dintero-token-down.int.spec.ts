import { randomUUID } from 'node:crypto';
import type { RunningCommandService } from '../../../test/support/command-service';
import { captured, dinteroOutOfReach } from './dintero-out-of-reach';

/**
 * Dintero's token endpoint out of reach: no call to Dintero can be sent, so a start or a refund is refused before
 * anything is written, rather than recorded as sent with its outcome unknown (which held the terminal until the
 * reconciler found no trace of it, and told the POS `outcome_unknown`).
 */
describe('command service while Dintero gives no token', () => {
  const world = dinteroOutOfReach('token-down');
  let paymentId: string;
  const json = { 'content-type': 'application/json' };
  const start = (on: RunningCommandService, key: string) => world.start(on, key);
  const service = (apiUrl: string) => world.service({ apiUrl }, 500);

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
    const up = await world.service({}, 500);
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
      await captured(down.log, paymentId, 'token-down');
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
