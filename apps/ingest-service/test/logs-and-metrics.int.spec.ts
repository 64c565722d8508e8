import { Logger } from '@nestjs/common';
import { signWebhook } from '@app/dintero';
import { SimulatorState } from '../../dintero-simulator/src/state/simulator-state';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, WEBHOOK_SECRET, type Engine } from '../../../test/support/engine';

type Line = { context: string | undefined; fields: Record<string, unknown>; msg: unknown };

/**
 * What an operator reads of ingest: every reconciler line about a payment carries its correlation id (the
 * reconciler's own, outside any request), and every delivery answered 200 without recording is counted as ignored.
 */
describe('ingest’s logs and metrics', () => {
  let engine: Engine;
  const lines: Line[] = [];
  let terminalNo = 0;

  beforeAll(async () => {
    for (const level of ['log', 'warn', 'error'] as const) {
      // Called with its own `this` below (`apply`): the logger it was on.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const original = Logger.prototype[level];
      jest.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, ...args: unknown[]) {
        const [fields, msg] = args;
        if (typeof fields === 'object' && fields !== null)
          lines.push({
            context: (this as unknown as { context?: string }).context,
            fields: fields as Record<string, unknown>,
            msg,
          });
        return (original as (...a: unknown[]) => void).apply(this, args);
      });
    }
    engine = await startEngine({
      command: { SESSION_TTL_SECONDS: '10', CLAIM_MARGIN_SECONDS: '30' },
      ingest: {
        RECONCILER_GRACE_SECONDS: '0',
        RECONCILER_UNKNOWN_DELAY_SECONDS: '0',
        RECONCILER_REVIEW_AFTER_SECONDS: '1',
      },
    });
  });
  afterAll(async () => {
    await engine.close();
    jest.restoreAllMocks();
  });

  /** A terminal whose payments' reports Dintero never delivers: only the reconciler learns of them. */
  const silentTerminal = async () => {
    const terminalId = `LM-${++terminalNo}`;
    await engine.terminals('bergen', terminalId);
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    return terminalId;
  };

  it('gives every reconciler line about a payment its correlation id', async () => {
    const terminalId = await silentTerminal();
    // An amount ending in 50: Dintero's transaction is UNKNOWN, and the reconciler says so, then hands it on.
    const { paymentId } = (await engine.start('bergen', terminalId, 10_050)) as { paymentId: string };
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const about = () => lines.filter((l) => l.context === 'ReconcilerService' && l.fields.paymentId === paymentId);
    await waitUntil(() => about().length > 0, 30_000, 'a reconciler line about the payment');
    expect(about().map((l) => ({ msg: l.msg, correlationId: l.fields.correlationId }))).toEqual(
      about().map((l) => ({ msg: l.msg, correlationId: 'reconciler' })),
    );
  }, 60_000);

  it('counts a webhook about a session of another system (the same Dintero account) as ignored', async () => {
    const terminalId = await silentTerminal();
    const { sessionId } = (await engine.start('bergen', terminalId, 10_000)) as { sessionId: string };
    const state = engine.sim.app.get(SimulatorState);
    // Another system's session on the same account (its web shop): its reference is no payment id.
    const ours = state.sessions.get(sessionId)!;
    const { transaction_id: _none, ...session } = ours as typeof ours & { transaction_id?: string };
    const foreign = {
      ...session,
      id: `${sessionId}-webshop`,
      order: { ...ours.order, merchant_reference_2: 'WEBSHOP-ORDER-1' },
    } as typeof ours;
    state.sessions.set(foreign.id, foreign);
    const ignored = async () => {
      const text = await (await fetch(`${engine.ingest.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('payments_dintero_deliveries_total{') &&
            l.includes('source="webhook"') &&
            l.includes('result="ignored"'),
        );
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const before = await ignored();
    const body = JSON.stringify({
      account_id: 'T12345678',
      event_delivery: `d-${foreign.id}`,
      event: 'checkout_authorization',
      authorization: { session_id: foreign.id, error: 'cancelled' },
    });
    const response = await fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'event-signature': signWebhook(body, WEBHOOK_SECRET) },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ignored: expect.stringContaining('not a payment of this engine') });
    expect(await ignored()).toBe(before + 1);
  }, 60_000);
});
