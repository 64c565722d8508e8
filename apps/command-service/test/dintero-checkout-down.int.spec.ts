import { randomUUID } from 'node:crypto';
import { readState } from '@app/event-store';
import { paymentDecider, paymentStream, refundableAmount } from '@app/payment-domain';
import { releaseClaim } from '@app/platform';
import type { RunningCommandService } from '../../../test/support/command-service';
import { captured, dinteroOutOfReach } from './dintero-out-of-reach';

/**
 * Dintero's checkout host refusing every connection while its token endpoint answers: a session or a refund that
 * could not be sent at all took no effect. The payment fails at once and frees the terminal, and the refund fails,
 * rather than both being recorded as sent with their outcome unknown (which held the terminal until the reconciler
 * found no trace, and told the POS `outcome_unknown`).
 */
describe('command service while Dintero refuses every connection to checkout', () => {
  const world = dinteroOutOfReach('checkout-down');
  const json = { 'content-type': 'application/json' };
  const start = (on: RunningCommandService, key: string, terminalId = 'T-1') => world.start(on, key, terminalId);
  const service = (checkoutUrl: string) => world.service({ checkoutUrl });

  it('fails the payment at once with 502 DINTERO_UNREACHABLE, the terminal free for the next sale', async () => {
    const key = randomUUID();
    const down = await service('http://127.0.0.1:1');
    try {
      const refused = await start(down, key);
      expect(refused.status).toBe(502);
      expect(refused.headers.get('retry-after')).toBeNull();
      const body = (await refused.json()) as { code: string; payment: { paymentId: string; status: string } };
      expect(body).toMatchObject({ code: 'DINTERO_UNREACHABLE', payment: { status: 'failed', final: true } });
      const { state } = await readState(down.log, paymentStream(body.payment.paymentId), paymentDecider);
      expect(state).toMatchObject({ status: 'failed', reason: 'DINTERO_UNAVAILABLE' });
      // The same key again: the same payment, the same answer; no second session is tried.
      const again = await start(down, key);
      expect(again.status).toBe(502);
      expect(await again.json()).toMatchObject({ payment: { paymentId: body.payment.paymentId, status: 'failed' } });
    } finally {
      await down.close();
    }
    const up = await world.service({});
    try {
      const next = await start(up, randomUUID());
      expect(next.status).toBe(201);
      expect(await next.json()).toMatchObject({ status: 'awaiting_card' });
    } finally {
      await up.close();
    }
  });

  it('fails a refund that could not be sent, leaving its amount to refund', async () => {
    const up = await world.service({});
    let paymentId: string;
    try {
      const started = await start(up, randomUUID(), 'T-2');
      expect(started.status).toBe(201);
      ({ paymentId } = (await started.json()) as { paymentId: string });
      // Captured and the terminal released, as ingest would record them from Dintero's callback.
      await captured(up.log, paymentId, 'checkout-down');
      await releaseClaim(
        up.log,
        { terminalId: 'T-2', claimId: paymentId, reason: 'finished', at: new Date().toISOString() },
        { correlationId: 'checkout-down' },
      );
    } finally {
      await up.close();
    }
    const down = await service('http://127.0.0.1:1');
    try {
      const refund = await down.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
        method: 'POST',
        headers: { ...json, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ amount: 10_000, terminalId: 'T-2' }),
      });
      expect(refund.status).toBe(201);
      expect(await refund.json()).toMatchObject({ status: 'failed', reason: 'DINTERO_UNAVAILABLE' });
      const { state } = await readState(down.log, paymentStream(paymentId), paymentDecider);
      expect(state).toMatchObject({ status: 'captured', capturedAmount: 10_000 });
      expect(state.status === 'captured' && refundableAmount(state)).toBe(10_000);
    } finally {
      await down.close();
    }
  });
});
