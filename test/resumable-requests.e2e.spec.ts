import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { paymentStream, type PaymentState } from '@app/payment-domain';
import { freePort, startApp, type RunningApp } from './support/app-process';
import { startEngine, type Engine } from './support/engine';
import { bearer, writePosClients } from './support/pos-clients';
import { NATS_URL } from './support/projections';

/**
 * A POS never loses a payment (issue 19): the command service is killed (SIGKILL, through a test-only fault
 * point) at each step of a start and of a refund, restarted on the same log, and the POS retries with the
 * same Idempotency-Key. Each time: one payment (or refund), at most one Dintero session (or refund), and the
 * POS gets it.
 */
describe('a request interrupted by a crash, resumed by its retry', () => {
  let engine: Engine;
  let command: RunningApp | undefined;
  let port: number;
  let posClientsFile: string;
  const storeId = 'resume';
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    engine = await startEngine({
      ingest: { RECONCILER_GRACE_SECONDS: '0', RECONCILER_UNKNOWN_DELAY_SECONDS: '0', RECONCILER_INTERVAL_MS: '100' },
    });
    posClientsFile = writePosClients(mkdtempSync(path.join(tmpdir(), 'resume-')));
    port = await freePort();
  });
  afterAll(async () => {
    await command?.stop();
    await engine.close();
  });

  /** The command service as its own process on the engine's log, with a fault point armed or not. */
  const startCommand = async (faultPoint = '') => {
    await command?.stop();
    command = await startApp(
      'command-service',
      {
        EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
        DINTERO_API_URL: engine.sim.url,
        DINTERO_CHECKOUT_URL: engine.sim.url,
        INGEST_PUBLIC_URL: engine.ingest.url,
        NATS_URL,
        NATS_PREFIX: engine.prefix,
        POS_CLIENTS_FILE: posClientsFile,
        HTTP_RATE_LIMIT_PER_MINUTE: '0',
        SESSION_TTL_SECONDS: '30',
        CLAIM_MARGIN_SECONDS: '5',
        // A crashed request is resumed 2 s after it began.
        IDEMPOTENCY_LEASE_SECONDS: '2',
        ...(faultPoint ? { FAULT_POINT: faultPoint } : {}),
      },
      30_000,
      port,
    );
    return command;
  };

  /** The POS: the same request with the same key until it gets an answer that is not "in progress". */
  const post = async (route: string, key: string, body: object) => {
    for (;;) {
      const response = await fetch(`${command!.url}${route}`, {
        method: 'POST',
        headers: { ...json, ...bearer(), 'idempotency-key': key },
        body: JSON.stringify(body),
      }).catch(() => undefined);
      if (response === undefined) return { status: 0, body: {} as Record<string, unknown> };
      const answer = { status: response.status, body: (await response.json()) as Record<string, unknown> };
      if (response.status !== 409 || answer.body['code'] !== 'IDEMPOTENT_REQUEST_IN_PROGRESS') return answer;
      // Retry-After says when the first request's lease ends.
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const sessionsOf = async (paymentId: string) =>
    (await engine.sim.control<{ sessions: { paymentId: string }[] }>('GET', '/ground-truth')).sessions.filter(
      (session) => session.paymentId === paymentId,
    ).length;
  const paymentsRequested = async (merchantReference: string) => {
    const events = await engine.log.readAll({ limit: 10_000 });
    return events.filter(
      (e) =>
        e.type === 'PaymentRequested' &&
        (e.data as { merchantReference: string }).merchantReference === merchantReference,
    ).length;
  };

  it.each([
    ['after the claim', 'start:after-claim'],
    ['after the request is recorded', 'start:after-request'],
    ['after the Dintero session is created', 'start:after-session'],
    ['before the answer is written', 'start:before-answer'],
  ])('resumes a start killed %s: one payment, one session, and the POS gets it', async (_step, faultPoint) => {
    const terminalId = `R-${faultPoint.split(':')[1]}`;
    await engine.terminals(storeId, terminalId);
    const key = randomUUID();
    const merchantReference = `resume-${faultPoint}`;
    const body = { storeId, terminalId, amount: 10_000, currency: 'NOK', merchantReference };

    const crashed = await startCommand(faultPoint);
    expect((await post('/v1/terminal-payments', key, body)).status).toBe(0); // the connection died with it
    expect(await crashed.exited).toBeNull(); // killed by a signal, not exited
    await startCommand();
    const answer = await post('/v1/terminal-payments', key, body);
    expect([201, 202]).toContain(answer.status);
    const paymentId = answer.body['paymentId'] as string;
    expect(paymentId).toEqual(expect.any(String));
    // The same answer again, now recorded.
    expect((await post('/v1/terminal-payments', key, body)).body['paymentId']).toBe(paymentId);

    expect(await paymentsRequested(merchantReference)).toBe(1);
    expect(await sessionsOf(paymentId)).toBe(1);
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const final = await engine.waitForPayment(paymentId, (s) => s.status === 'captured', 'the capture');
    expect(final.status).toBe('captured');
    await engine.terminalFree(terminalId);
  });

  it.each([
    ['after the claim', 'refund:after-claim'],
    ['after the refund is recorded', 'refund:after-request'],
    ['after Dintero refunded', 'refund:after-dintero'],
    ['before the answer is written', 'refund:before-answer'],
  ])('resumes a refund killed %s: one refund at Dintero, and the POS gets it', async (_step, faultPoint) => {
    const [payTerminal, refundTerminal] = [`P-${faultPoint.split(':')[1]}`, `Q-${faultPoint.split(':')[1]}`];
    await engine.terminals(storeId, payTerminal, refundTerminal);
    const { paymentId } = (await engine.start(storeId, payTerminal, 10_000)) as { paymentId: string };
    await engine.sim.control('POST', `/terminals/${payTerminal}/present`, {});
    await engine.waitForPayment(paymentId, (s) => s.status === 'captured', 'the capture');
    await engine.terminalFree(payTerminal);

    const key = randomUUID();
    const route = `/v1/terminal-payments/${paymentId}/refunds`;
    const body = { amount: 2_500, terminalId: refundTerminal, reason: 'Returned: wrong size' };
    const crashed = await startCommand(faultPoint);
    expect((await post(route, key, body)).status).toBe(0);
    expect(await crashed.exited).toBeNull();
    await startCommand();
    const answer = await post(route, key, body);
    expect([201, 202]).toContain(answer.status);
    const refundId = answer.body['refundId'] as string;
    expect((await post(route, key, body)).body['refundId']).toBe(refundId);

    // Settled as Dintero has it: one refund of ours, succeeded (the reconciler finds one whose answer was lost).
    const settled = await engine.waitForPayment(
      paymentId,
      (s) => s.status === 'captured' && ['succeeded', 'failed'].includes(s.refunds[refundId]?.status ?? ''),
      'the refund settled',
    );
    const refunds = Object.values((settled as Extract<PaymentState, { status: 'captured' }>).refunds);
    expect(refunds.map((r) => [r.refundId, r.status])).toEqual([[refundId, 'succeeded']]);
    const atDintero = (
      await engine.sim.control<{
        transactions: { paymentId: string; refunds: { reference: string; reason?: string }[] }[];
      }>('GET', '/ground-truth')
    ).transactions.find((tx) => tx.paymentId === paymentId)!.refunds;
    // The POS's reason reaches Dintero with the refund, sent by whichever run sent it.
    expect(atDintero.map((r) => [r.reference, r.reason])).toEqual([[refundId, body.reason]]);
    const requested = (await engine.log.readStream(paymentStream(paymentId))).filter(
      (e) => e.type === 'RefundRequested',
    );
    expect(requested).toHaveLength(1);
  });

  it('refuses a fault point in production configuration', async () => {
    await command?.stop();
    command = undefined;
    await expect(
      startApp('command-service', {
        EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
        NATS_URL,
        NATS_PREFIX: engine.prefix,
        POS_CLIENTS_FILE: posClientsFile,
        NODE_ENV: 'production',
        FAULT_POINT: 'start:after-claim',
      }),
    ).rejects.toThrow(/FAULT_POINT is for tests/);
  });
});
