import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCommandService, type RunningCommandService } from './support/command-service';
import { startIngestService, type RunningIngestService } from './support/ingest-service';

describe('rate limits on the public endpoints', () => {
  describe('command service: per POS key, 429', () => {
    let service: RunningCommandService;
    beforeAll(async () => {
      service = await startCommandService({ HTTP_RATE_LIMIT_PER_MINUTE: '3' });
    });
    afterAll(() => service.close());

    it('refuses a key’s requests over the limit with 429 and Retry-After, writing nothing; other callers and probes go on', async () => {
      for (let i = 0; i < 3; i++) expect((await service.fetch('/v1/stores/s-1')).status).toBe(404);
      const refused = await service.fetch('/v1/stores/s-1', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'S', payoutDestinationId: 'p', timeZone: 'UTC' }),
      });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(await service.log.readAll({ limit: 10 })).toEqual([]);

      // Another caller (no key: its address) has its own budget; the health probe is never limited.
      expect((await fetch(`${service.url}/v1/stores/s-1`)).status).toBe(401);
      for (let i = 0; i < 5; i++) expect((await fetch(`${service.url}/health`)).status).toBe(200);
    });
  });

  describe('ingest service: per address, 503 so that Dintero comes back', () => {
    let dir: string;
    let ingest: RunningIngestService;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'rate-limit-'));
      ingest = await startIngestService({
        EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
        DINTERO_API_URL: 'http://127.0.0.1:9',
        DINTERO_CHECKOUT_URL: 'http://127.0.0.1:9',
        RECONCILER_ENABLED: 'false',
        HTTP_RATE_LIMIT_PER_MINUTE: '2',
      });
    });
    afterAll(async () => {
      await ingest.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers callbacks over the limit with 503 and Retry-After: Dintero retries after a 5xx, never after a 4xx', async () => {
      const callback = () => fetch(`${ingest.url}/v1/dintero/callback?payment_id=not-a-uuid`);
      for (let i = 0; i < 2; i++) expect((await callback()).status).toBe(400);
      const refused = await callback();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).not.toBeNull();
      expect(await refused.json()).toMatchObject({ status: 503, code: 'RATE_LIMITED' });
    });
  });
});
