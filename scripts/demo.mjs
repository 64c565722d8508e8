// The demo chain of `npm start`: stores and terminals onboarded at Dintero (the simulator) through the
// engine's registry API, then POS traffic through the real APIs (starts, the simulator's terminals answering, now and then a
// cancel or a refund), with a line of figures every ten seconds.
import { randomUUID } from 'node:crypto';

export const DEMO_STORES = 20;
export const TERMINALS_PER_STORE = 4;

// Amounts by the simulator's table (apps/dintero-simulator/README.md): mostly approved, some of the rest.
const OUTCOMES = [...Array(14).fill('00'), '01', '02', '03', '05', '51', '10', '20', '30', '40'];

const storeId = (s) => `demo-store-${String(s + 1).padStart(2, '0')}`;
const terminalId = (s, t) => `DT-${String(s + 1).padStart(2, '0')}-${t + 1}`;

async function call(url, method, body, headers = {}, signal) {
  const response = await fetch(url, {
    method,
    signal,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * What only Dintero's Backoffice does, done at the simulator for `npm start`, demo or not: the payout
 * destination `demo-seller` exists, and ingest is subscribed to Dintero's webhooks (both checkout events).
 * Seeding again changes nothing.
 */
export async function seedBackoffice({ simulatorUrl, ingestUrl, webhookSecret }) {
  const seeded = await call(`${simulatorUrl}/_control/seed`, 'POST', {
    payoutDestinations: ['demo-seller'],
    webhooks: [{ url: `${ingestUrl}/v1/dintero/webhooks`, secret: webhookSecret }],
  });
  if (seeded.status >= 300) throw new Error(`seeding the simulator: ${seeded.status} ${JSON.stringify(seeded.body)}`);
}

/**
 * Onboards the demo chain through the engine: each store is created at Dintero, each terminal's device (a
 * sandbox serial, `SIMULATED-{account}-NNN`, so `ACTIVE` at once) registered there and mapped to the
 * chain's own terminal name. The simulator's Backoffice is seeded first (`seedBackoffice`). Idempotent:
 * registering again changes nothing.
 */
export async function seedDemo({ commandUrl, posKey, accountId }) {
  const auth = { authorization: `Bearer ${posKey}` };
  const terminals = [];
  for (let s = 0; s < DEMO_STORES; s++) {
    const id = storeId(s);
    const put = await call(
      `${commandUrl}/v1/stores/${id}`,
      'PUT',
      {
        name: `Demo store ${s + 1}`,
        payoutDestinationId: 'demo-seller',
        timeZone: 'Europe/Oslo',
      },
      auth,
    );
    if (put.status >= 300) throw new Error(`registering ${id}: ${put.status} ${JSON.stringify(put.body)}`);
    for (let t = 0; t < TERMINALS_PER_STORE; t++) {
      const terminal = terminalId(s, t);
      terminals.push({ storeId: id, terminalId: terminal });
      const serial = `SIMULATED-${accountId}-${String(s * TERMINALS_PER_STORE + t + 1).padStart(3, '0')}`;
      const device = { deviceSerialNumber: serial, deviceModel: 'SATURN1000' };
      const answer = await call(`${commandUrl}/v1/stores/${id}/terminals/${terminal}`, 'PUT', device, auth);
      if (answer.status >= 300)
        throw new Error(`registering ${terminal}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }
  return terminals;
}

/**
 * Each terminal, when idle, starts a payment now and then. The simulator's terminals answer by themselves
 * (SIM_TERMINAL_DELAY_MS); about one payment in twenty is cancelled by the POS, and a captured one is
 * sometimes refunded. `stop()` lets the requests in flight finish.
 */
export function driveTraffic({ commandUrl, posKey, terminals, paymentsPerSecond = 8, log = console.log }) {
  const auth = { authorization: `Bearer ${posKey}` };
  const busy = new Set();
  const inFlight = new Set();
  /** Payments started and not yet seen final: cancelled on stop, so that no terminal is left claimed. */
  const open = new Set();
  const aborts = new AbortController();
  const counts = { started: 0, refused: 0, refusedBy: {}, cancelled: 0, refunded: 0, errors: 0 };
  let stopped = false;

  const track = (promise) => {
    inFlight.add(promise);
    promise.finally(() => inFlight.delete(promise));
  };

  async function onePayment({ storeId: store, terminalId: terminal }) {
    busy.add(terminal);
    try {
      const amount =
        100 * (50 + Math.floor(Math.random() * 950)) + Number(OUTCOMES[Math.floor(Math.random() * OUTCOMES.length)]);
      const started = await call(
        `${commandUrl}/v1/terminal-payments`,
        'POST',
        {
          storeId: store,
          terminalId: terminal,
          amount,
          currency: 'NOK',
          merchantReference: `DEMO-${randomUUID().slice(0, 8)}`,
        },
        { ...auth, 'idempotency-key': randomUUID() },
      );
      if (started.status >= 300) {
        counts.refused += 1;
        const reason = started.body?.code ?? `HTTP ${started.status}`;
        counts.refusedBy[reason] = (counts.refusedBy[reason] ?? 0) + 1;
        return;
      }
      counts.started += 1;
      const paymentId = started.body.paymentId;
      open.add(paymentId);
      const cancel = async () => {
        await call(`${commandUrl}/v1/terminal-payments/${paymentId}/cancel`, 'POST', undefined, auth);
        counts.cancelled += 1;
      };
      // Now and then the customer changes their mind before paying.
      if (Math.random() < 0.05) await cancel();
      // The till waits for the outcome, and the terminal stays its own until then: a customer who walks away
      // from the terminal is cancelled after 30 s, as a cashier would, rather than left prompting.
      const since = Date.now();
      let final;
      let cancelled = false;
      do {
        final = await call(
          `${commandUrl}/v1/terminal-payments/${paymentId}?waitFor=final&timeout=10`,
          'GET',
          undefined,
          auth,
          aborts.signal,
        );
        if (!final.body?.final && !cancelled && Date.now() - since > 30_000) {
          cancelled = true;
          await cancel();
        }
      } while (!final.body?.final && !stopped);
      if (final.body?.final) open.delete(paymentId);
      if (final.body?.status === 'captured' && Math.random() < 0.05) {
        const refund = await call(
          `${commandUrl}/v1/terminal-payments/${paymentId}/refunds`,
          'POST',
          {
            amount: Math.min(final.body.amount, 5_000),
            terminalId: terminal,
          },
          { ...auth, 'idempotency-key': randomUUID() },
        );
        if (refund.status < 300) counts.refunded += 1;
        // 202: pending at the terminal (or unknown). The terminal stays with the refund until it is settled,
        // so the till waits for it, even when the demo is stopping.
        if (refund.status === 202)
          await call(
            `${commandUrl}/v1/terminal-payments/${paymentId}/refunds/${refund.body.refundId}?waitFor=final&timeout=60`,
            'GET',
            undefined,
            auth,
          );
      }
    } catch {
      if (!stopped) counts.errors += 1;
    } finally {
      busy.delete(terminal);
    }
  }

  /** Each kind of refusal by its code, e.g. ` (TERMINAL_BUSY 2, DINTERO_REJECTED 1)`; nothing when none. */
  const refusals = () => {
    const kinds = Object.entries(counts.refusedBy).map(([code, n]) => `${code} ${n}`);
    return kinds.length > 0 ? ` (${kinds.join(', ')})` : '';
  };

  const tick = setInterval(() => {
    if (stopped) return;
    const idle = terminals.filter((t) => !busy.has(t.terminalId));
    // A fair coin per idle terminal, scaled so that starts average paymentsPerSecond over the chain.
    for (const terminal of idle)
      if (Math.random() < paymentsPerSecond / 10 / Math.max(idle.length, 1)) track(onePayment(terminal));
  }, 100);
  const report = setInterval(() => {
    log(
      `demo: ${counts.started} payments started, ${counts.cancelled} cancelled by the POS, ${counts.refunded} refunds, ` +
        `${counts.refused} refused${refusals()}, ${counts.errors} errors; ${busy.size} terminals busy`,
    );
  }, 10_000);

  return {
    counts,
    /** Stops starting payments, and cancels those still open; resolves once each has ended or 30 s passed. */
    async stop() {
      stopped = true;
      clearInterval(tick);
      clearInterval(report);
      aborts.abort();
      await Promise.allSettled([...inFlight]);
      await Promise.allSettled(
        [...open].map(async (paymentId) => {
          const cancel = await call(`${commandUrl}/v1/terminal-payments/${paymentId}/cancel`, 'POST', undefined, auth);
          // 202: Dintero has not confirmed (a payment on hold, say): wait for its outcome, as a POS would.
          if (cancel.status === 202)
            await call(
              `${commandUrl}/v1/terminal-payments/${paymentId}?waitFor=final&timeout=30`,
              'GET',
              undefined,
              auth,
            );
        }),
      );
      return open.size;
    },
  };
}

/**
 * The demo's end of day: a while after the start, the first store's terminals close their day through the POS
 * API (`end_of_day` on each), as they would at the store's close time, and the line says how each close
 * compares with the log. One terminal is set at the simulator to report a purchase the log does not have, so
 * that the dashboard's problem strip shows what a disagreeing close looks like.
 */
export async function closeDemoStore({
  commandUrl,
  simulatorUrl,
  posKey,
  afterMs = 20_000,
  log = console.log,
  signal,
}) {
  const auth = { authorization: `Bearer ${posKey}` };
  const store = storeId(0);
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, afterMs);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
  if (signal?.aborted) return;
  const registered = await call(`${commandUrl}/v1/stores/${store}`, 'GET', undefined, auth);
  const skewed = registered.body.terminals.at(-1);
  await call(`${simulatorUrl}/_control/terminals/${skewed.dintero.terminalId}/batch-skew`, 'PUT', {
    purchasesCount: 1,
    purchasesAmount: 10_000,
  });
  const key = randomUUID();
  const operations = new Map();
  // All at once first; a terminal busy with a payment then, and only it, is asked again once a second (its own
  // key each time: a refusal starts nothing). Asking the whole store again would close the others twice.
  const first = await call(
    `${commandUrl}/v1/stores/${store}/operations`,
    'POST',
    { operation: 'end_of_day' },
    { ...auth, 'idempotency-key': key },
  );
  for (const { terminalId, status, body } of first.body?.operations ?? [])
    if (status === 202) operations.set(terminalId, body.operationId);
  for (let round = 1; round < 60 && operations.size < TERMINALS_PER_STORE && !signal?.aborted; round++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const { terminalId } of registered.body.terminals) {
      if (operations.has(terminalId)) continue;
      const answer = await call(
        `${commandUrl}/v1/stores/${store}/terminals/${terminalId}/operations`,
        'POST',
        { operation: 'end_of_day' },
        { ...auth, 'idempotency-key': `${key}-${terminalId}-${round}` },
      );
      if (answer.status === 202) operations.set(terminalId, answer.body.operationId);
    }
  }
  const outcomes = [];
  for (const [terminalId, operationId] of [...operations].sort(([a], [b]) => a.localeCompare(b))) {
    let operation;
    // Started ones are seen to their end (seconds), even when the demo is stopping: none is left holding a terminal.
    do
      operation = (
        await call(
          `${commandUrl}/v1/terminal-operations/${operationId}?waitFor=final&timeout=10`,
          'GET',
          undefined,
          auth,
        )
      ).body;
    while (!operation?.final);
    outcomes.push(`${terminalId} ${operation?.status}${operation?.batch ? ` (batch ${operation.batch.batchId})` : ''}`);
  }
  log(
    `demo: ${store} closed its day: ${outcomes.join(', ')}. ${skewed.terminalId} was set at the simulator to report a purchase the log does not have: the dashboard's problem strip flags its close`,
  );
}
