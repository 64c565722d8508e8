import { randomUUID } from 'node:crypto';
import { createServer, request as forward, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhook, type DinteroTransaction } from '@app/dintero';
import { paymentStream } from '@app/payment-domain';
import { SimulatorState } from '../../dintero-simulator/src/state/simulator-state';
import { withoutInternals } from '../../dintero-simulator/src/terminals/transaction-records';
import { PaymentFacts } from '../src/facts/payment-facts.service';
import { startEngine, WEBHOOK_SECRET, type Engine } from '../../../test/support/engine';
import { paidUnheard as paidUnheardAt } from '../../../test/support/unheard-payment';
import { signedCallback } from '../../../test/support/signed-callback';

const ACCOUNT = 'T12345678';
const DEADLINE_MS = 1_000;
/** How long after its deadline a delivery's answer, or the cut-off of its fetch, may come on a loaded machine. */
const SLACK_MS = 3_000;

/**
 * Dintero as the ingest service reaches it: the simulator, behind a door that holds the fetch of one transaction
 * unanswered while told to (a Dintero that hangs, each attempt of the client waiting its whole DINTERO_TIMEOUT_MS, a
 * minute here). Every other request (the token, the fetch once let through) goes to the simulator.
 */
class HangingDintero {
  private target = '';
  private holding: string | undefined;
  /** Each held request's end: when its connection closed, the client having cut it off. */
  readonly held: Promise<void>[] = [];
  private readonly server: Server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === this.holding) {
      this.held.push(closed(response));
      return;
    }
    const onward = forward(
      `${this.target}${request.url}`,
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    onward.on('error', () => response.destroy());
    request.pipe(onward);
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  to(target: string): void {
    this.target = target;
  }

  /** Holds every fetch of the transaction from now on; `undefined`: holds none. */
  hold(transactionId: string | undefined): void {
    this.holding = transactionId === undefined ? undefined : `/v1/transactions/${encodeURIComponent(transactionId)}`;
  }

  async close(): Promise<void> {
    const done = new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections();
    await done;
  }
}

const closed = (response: ServerResponse) => new Promise<void>((resolve) => response.on('close', resolve));

/** `settles`, or a failure naming `what` once `ms` have passed without it. */
async function within(settles: Promise<void> | undefined, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([settles ?? Promise.reject(new Error(`${what}: nothing was held`)), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A delivery whose fetch of its transaction from Dintero hangs: answered 503 at its deadline (`CALLBACK_DEADLINE_MS`,
 * `WEBHOOK_DEADLINE_MS`), the fetch cut off then rather than left to the client's timeouts, and Dintero's next try
 * records the fact, once.
 */
describe('ingest: a delivery whose fetch from Dintero hangs', () => {
  const dintero = new HangingDintero();
  let engine: Engine;
  let terminalNo = 0;

  beforeAll(async () => {
    const door = await dintero.listen();
    engine = await startEngine({
      ingest: {
        DINTERO_API_URL: door,
        DINTERO_CHECKOUT_URL: door,
        DINTERO_TIMEOUT_MS: '60000',
        CALLBACK_DEADLINE_MS: String(DEADLINE_MS),
        WEBHOOK_DEADLINE_MS: String(DEADLINE_MS),
        // Only the deliveries the tests send ask Dintero.
        RECONCILER_ENABLED: 'false',
      },
    });
    dintero.to(engine.sim.url);
  }, 60_000);
  afterAll(async () => {
    await dintero.close();
    await engine?.close();
  });
  afterEach(() => dintero.hold(undefined));

  const paidUnheard = async () => {
    const { paymentId, tx } = await paidUnheardAt(engine, 'hang-store', `H-${++terminalNo}`);
    return { paymentId, transactionId: tx.id };
  };
  const captures = async (paymentId: string) =>
    (await engine.log.readStream(paymentStream(paymentId))).filter((event) => event.type === 'PaymentCaptured');

  /** The delivery's answer, or `no answer` when none came within the deadline and the slack. */
  const answerOf = async (response: Promise<Response>) => {
    try {
      const answer = await response;
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    } catch {
      return { status: 'no answer' };
    }
  };
  const callback = (paymentId: string, transactionId: string) => {
    const { url, headers } = signedCallback(engine.ingest.url, ACCOUNT, {
      payment_id: paymentId,
      transaction_id: transactionId,
    });
    return answerOf(fetch(url, { headers, signal: AbortSignal.timeout(DEADLINE_MS + SLACK_MS) }));
  };
  const webhook = (transactionId: string) => {
    const body = JSON.stringify({
      account_id: ACCOUNT,
      event: 'checkout_transaction',
      event_delivery: randomUUID(),
      transaction: { id: transactionId },
    });
    return answerOf(
      fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'event-signature': signWebhook(body, WEBHOOK_SECRET) },
        body,
        signal: AbortSignal.timeout(DEADLINE_MS + SLACK_MS),
      }),
    );
  };

  it('a callback: 503 CALLBACK_DEADLINE_EXCEEDED at its deadline, the fetch cut off, the retry recorded once', async () => {
    const { paymentId, transactionId } = await paidUnheard();
    const before = dintero.held.length;
    dintero.hold(transactionId);
    const since = Date.now();
    expect(await callback(paymentId, transactionId)).toMatchObject({
      status: 503,
      body: { code: 'CALLBACK_DEADLINE_EXCEEDED' },
    });
    expect(Date.now() - since).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    // Dintero's connection closed by the client at the deadline, not a minute later (DINTERO_TIMEOUT_MS).
    await within(dintero.held[before], SLACK_MS, 'the hung fetch of the transaction cut off');
    expect(await captures(paymentId)).toHaveLength(0);
    // Dintero calls back again, and again: the capture recorded by the first, once.
    dintero.hold(undefined);
    expect(await callback(paymentId, transactionId)).toMatchObject({
      status: 200,
      body: { paymentId, recorded: ['PaymentCaptured'] },
    });
    expect(await callback(paymentId, transactionId)).toMatchObject({ status: 200, body: { recorded: [] } });
    expect(await captures(paymentId)).toHaveLength(1);
  }, 60_000);

  it('a webhook: 503 WEBHOOK_DEADLINE_EXCEEDED at its deadline, the fetch cut off, the retry recorded once', async () => {
    const { paymentId, transactionId } = await paidUnheard();
    const before = dintero.held.length;
    dintero.hold(transactionId);
    expect(await webhook(transactionId)).toMatchObject({ status: 503, body: { code: 'WEBHOOK_DEADLINE_EXCEEDED' } });
    await within(dintero.held[before], SLACK_MS, 'the hung fetch of the transaction cut off');
    expect(await captures(paymentId)).toHaveLength(0);
    dintero.hold(undefined);
    expect(await webhook(transactionId)).toMatchObject({
      status: 200,
      body: { paymentId, recorded: ['PaymentCaptured'] },
    });
    expect(await webhook(transactionId)).toMatchObject({ status: 200, body: { recorded: [] } });
    expect(await captures(paymentId)).toHaveLength(1);
  }, 60_000);

  it('a fact fetched after its delivery’s answer has gone: nothing written for it, and the retry records it once', async () => {
    const { paymentId, transactionId } = await paidUnheard();
    // The fetch answered just after the deadline: the delivery's signal is aborted before its first write.
    const tx = withoutInternals(engine.sim.app.get(SimulatorState).transactions.get(transactionId)!);
    const answered = new Error('answered 503 at the deadline');
    const late = { source: 'callback', correlationId: randomUUID(), signal: AbortSignal.abort(answered) } as const;
    await expect(
      engine.ingest.app.get(PaymentFacts).recordTransaction(paymentId, tx as unknown as DinteroTransaction, late),
    ).rejects.toBe(answered);
    expect(await captures(paymentId)).toHaveLength(0);
    expect(await callback(paymentId, transactionId)).toMatchObject({
      status: 200,
      body: { paymentId, recorded: ['PaymentCaptured'] },
    });
    expect(await captures(paymentId)).toHaveLength(1);
  }, 60_000);
});
