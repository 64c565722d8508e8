import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signWebhook } from '@app/dintero';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';
import { signedCallback } from '../../../test/support/signed-callback';

const CALLBACK_SECRET = 'surface-callback-secret';
const WEBHOOK_SECRET = 'surface-webhook-secret';
const ACCOUNT = 'T12345678';
const PAYMENT = '00000000-0000-4000-8000-000000000001';

/** One raw HTTP/1.1 request, so that the request-target is sent exactly as written (fetch drops a `#…`). */
function raw(base: string, method: string, target: string, headers: Record<string, string>, body = '') {
  const { port } = new URL(base);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
    });
  });
}

/**
 * Dintero's deliveries as they reach the wire: what a signature covers is what is acted on, a forged body is refused
 * for its signature before it is parsed whatever the path's encoding, and what another channel puts in a signed body
 * is never a 4xx, which would make Dintero give the delivery up.
 */
describe('the ingest service at the edge of Dintero’s deliveries', () => {
  let ingest: RunningIngestService;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'delivery-surface-'));
    ingest = await startIngestService({
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      DINTERO_API_URL: 'http://127.0.0.1:9',
      DINTERO_CHECKOUT_URL: 'http://127.0.0.1:9',
      DINTERO_CALLBACK_SECRET: CALLBACK_SECRET,
      DINTERO_WEBHOOK_SECRET: WEBHOOK_SECRET,
      RECONCILER_ENABLED: 'false',
    });
  });
  afterAll(async () => {
    await ingest.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a signed callback with parameters added after a "#", which its signature does not cover', async () => {
    const { url, headers } = signedCallback(
      ingest.url,
      ACCOUNT,
      { payment_id: PAYMENT, time: '2026-01-01T00:00:00Z' },
      { secret: CALLBACK_SECRET },
    );
    const target = `${url.pathname}${url.search}`;
    // Signed as it is, it is checked as a callback (and lacks what one needs).
    expect((await raw(ingest.url, 'GET', target, headers)).status).toBe(400);
    const added = await raw(ingest.url, 'GET', `${target}#&error=some_new_code`, headers);
    expect(added.status).toBe(401);
  });

  it.each([
    ['/v1/dintero/%77ebhooks', { 'event-signature': 'f'.repeat(40) }],
    [
      '/v1/dintero/%63allback?payment_id=x&transaction_id=T12345678.x',
      { 'dintero-signature': 't=1,v0-hmac-sha256=00' },
    ],
  ])('refuses a forged delivery to %s for its signature, before its body is parsed', async (target, headers) => {
    const notJson = `{"event":"checkout_transaction","transaction":${'['.repeat(50_000)}`;
    const answer = await raw(ingest.url, 'POST', target, { 'content-type': 'application/json', ...headers }, notJson);
    expect(answer.status).toBe(401);
  });

  it.each([
    ['a __proto__ key', { placeholder: 'x' }],
    ['a constructor.prototype', { constructor: { prototype: 'x' } }],
  ])('takes a signed webhook whose transaction (another channel’s) has %s in its metadata', async (_case, metadata) => {
    const body = JSON.stringify({
      account_id: ACCOUNT,
      event: 'account_update',
      event_delivery: 'd-1',
      transaction: { id: 'T12345678.abc', metadata },
    }).replace('"placeholder"', '"__proto__"');
    const answer = await raw(
      ingest.url,
      'POST',
      '/v1/dintero/webhooks',
      { 'content-type': 'application/json', 'event-signature': signWebhook(body, WEBHOOK_SECRET) },
      body,
    );
    expect(answer.status).toBe(200);
  });
});
