import { mkdtempSync, rmSync } from 'node:fs';
import { handleCommand, type EventStore } from '@app/event-store';
import { paymentDecider, paymentStream } from '@app/payment-domain';
import { transaction } from '../../../libs/payment-domain/test/payment-fixtures';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCommandService, type RunningCommandService } from '../../../test/support/command-service';
import { SEED, startSimulator, type RunningSimulator } from '../../../test/support/simulator';

const json = { 'content-type': 'application/json' };

/**
 * A command service on a log of its own, with the simulator as Dintero and store `oslo-center` registered with
 * terminals T-1 and T-2; `service` starts one whose Dintero API or checkout host is elsewhere (out of reach).
 * Registers its set-up and tear-down with the enclosing `describe`.
 */
export function dinteroOutOfReach(name: string) {
  let sim: RunningSimulator | undefined;
  let dir: string | undefined;
  const world = {
    get sim(): RunningSimulator {
      if (!sim) throw new Error('the simulator is not started yet');
      return sim;
    },
    /** A command service whose Dintero hosts are `hosts`, the simulator's where not given. */
    service(hosts: { readonly apiUrl?: string; readonly checkoutUrl?: string }, timeoutMs = 2_000) {
      return startCommandService({
        EVENT_STORE_URL: `sqlite:${path.join(dir!, 'events.db')}`,
        DINTERO_API_URL: hosts.apiUrl ?? world.sim.url,
        DINTERO_CHECKOUT_URL: hosts.checkoutUrl ?? world.sim.url,
        DINTERO_TIMEOUT_MS: String(timeoutMs),
      });
    },
    /** A start of 100.00 NOK on `terminalId`, with `key` as its Idempotency-Key. */
    start(on: RunningCommandService, key: string, terminalId = 'T-1') {
      return on.fetch('/v1/terminal-payments', {
        method: 'POST',
        headers: { ...json, 'idempotency-key': key },
        body: JSON.stringify({
          storeId: 'oslo-center',
          terminalId,
          amount: 10_000,
          currency: 'NOK',
          merchantReference: `${name}-1`,
        }),
      });
    },
  };
  beforeAll(async () => {
    sim = await startSimulator();
    await sim.control('POST', '/seed', SEED);
    dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
    const registrar = await world.service({});
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
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return world;
}

/** The payment captured (100.00 NOK), as ingest would record it from Dintero's callback. */
export async function captured(log: EventStore, paymentId: string, correlationId: string): Promise<void> {
  await handleCommand(
    log,
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
    { metadata: { correlationId } },
  );
}
