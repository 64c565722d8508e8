import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { signWebhook } from '@app/dintero';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';

const WEBHOOK_SECRET = 'webhook-secret-for-tests';
const DEADLINE_MS = 1_000;

/**
 * Dintero as a server that takes every request and never answers: each of the client's attempts would wait its whole
 * timeout (DINTERO_TIMEOUT_MS, a minute here), three times for a read. The webhook's own deadline answers first.
 */
describe('ingest: a webhook whose fetch from Dintero hangs', () => {
  let dintero: Server;
  let ingest: RunningIngestService;
  const asked: string[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'webhook-deadline-'));

  beforeAll(async () => {
    dintero = createServer((request: IncomingMessage) => {
      asked.push(`${request.method} ${request.url}`);
    });
    await new Promise<void>((resolve) => dintero.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(dintero.address() as AddressInfo).port}`;
    ingest = await startIngestService({
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      DINTERO_API_URL: url,
      DINTERO_CHECKOUT_URL: url,
      DINTERO_WEBHOOK_SECRET: WEBHOOK_SECRET,
      DINTERO_CALLBACK_SECRET: 'callback-secret-for-tests',
      DINTERO_TIMEOUT_MS: '60000',
      WEBHOOK_DEADLINE_MS: String(DEADLINE_MS),
      RECONCILER_ENABLED: 'false',
    });
  });
  afterAll(async () => {
    // Dintero gone first: the fetch still under way ends (refused), and the service stops without waiting on it.
    const closed = new Promise((resolve) => dintero.close(resolve));
    dintero.closeAllConnections();
    await closed;
    await ingest.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is answered 503 WEBHOOK_DEADLINE_EXCEEDED at its deadline, so that Dintero delivers it again', async () => {
    const body = JSON.stringify({
      account_id: 'T12345678',
      event: 'checkout_transaction',
      event_delivery: 'd-hung',
      transaction: { id: 'T12345678.hung' },
    });
    const since = Date.now();
    const response = await fetch(`${ingest.url}/v1/dintero/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'event-signature': signWebhook(body, WEBHOOK_SECRET) },
      body,
    });
    const elapsed = Date.now() - since;
    expect({ status: response.status, body: await response.json() }).toMatchObject({
      status: 503,
      body: { code: 'WEBHOOK_DEADLINE_EXCEEDED' },
    });
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 2_000);
    // It did ask Dintero (for a token first), and Dintero held the request.
    expect(asked.length).toBeGreaterThan(0);
  }, 15_000);
});
