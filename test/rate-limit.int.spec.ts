import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@app/messaging';
import { newApiKey } from '@app/platform';
import {
  startCommandService,
  startCommandServiceOnSimulator,
  type RunningCommandService,
} from './support/command-service';
import { startIngestService, type RunningIngestService } from './support/ingest-service';
import { testOperator, writeOperatorsFile } from './support/operators';
import { HQ, type TestPosClient } from './support/pos-clients';
import { NATS_URL, removeNatsState, startProjections, uniquePrefix } from './support/projections';

describe('rate limits on the public endpoints', () => {
  describe('command service: per POS key, 429', () => {
    let service: RunningCommandService;
    /** The log's head once started (it holds the log's identity). */
    let head: bigint;
    beforeAll(async () => {
      service = await startCommandService({ HTTP_RATE_LIMIT_PER_MINUTE: '3' });
      head = await service.log.headPosition();
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
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      // The same words and field as over NATS: the seconds to wait, as Retry-After says.
      expect(await refused.json()).toMatchObject({
        status: 429,
        code: 'RATE_LIMITED',
        detail: `More than 3 requests a minute; retry after ${retryAfter} s`,
        retryAfterSeconds: retryAfter,
      });
      expect(await service.log.headPosition()).toBe(head);

      // Another caller (no key: its address) has its own budget; the health probe is never limited.
      expect((await fetch(`${service.url}/v1/stores/s-1`)).status).toBe(401);
      for (let i = 0; i < 5; i++) expect((await fetch(`${service.url}/health`)).status).toBe(200);
    });
  });

  describe('command service: keys no client holds share their address’s allowance', () => {
    let service: RunningCommandService;
    beforeAll(async () => {
      service = await startCommandService({ HTTP_RATE_LIMIT_PER_MINUTE: '3' });
    });
    afterAll(() => service.close());

    it('counts made-up keys as the address they come from, so a new key each time gains nothing; a real key keeps its own', async () => {
      const madeUp = () =>
        fetch(`${service.url}/v1/stores/s-1`, { headers: { authorization: `Bearer ${newApiKey('pos')}` } });
      for (let i = 0; i < 3; i++) expect((await madeUp()).status).toBe(401);
      const refused = await madeUp();
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect((await fetch(`${service.url}/v1/stores/s-1`)).status).toBe(429);
      // Head office's key, from the same address, is counted on its own.
      expect((await service.fetch('/v1/stores/s-1', {}, HQ)).status).toBe(404);
    });
  });

  describe('command service: a client’s count against callers from very many addresses', () => {
    let service: RunningCommandService;
    beforeAll(async () => {
      service = await startCommandService({ HTTP_RATE_LIMIT_PER_MINUTE: '3' });
    });
    afterAll(() => service.close());

    // Linux routes all of 127.0.0.0/8 to this machine; macOS's loopback has 127.0.0.1 alone.
    (process.platform === 'linux' ? it : it.skip)(
      'keeps a POS client’s count however many addresses call meanwhile',
      async () => {
        for (let i = 0; i < 3; i++) expect((await service.fetch('/v1/stores/s-1')).status).toBe(404);
        // More addresses than the counts keep (5,000), each calling once without a key: all of 127.0.0.0/8 is this
        // machine's, so each request leaves from an address of its own.
        const addresses = Array.from({ length: 5_001 }, (_, i) => `127.1.${i >> 8}.${i & 255}`);
        const statuses = new Map<number, number>();
        const { port } = new URL(service.url);
        const call = (localAddress: string) =>
          new Promise<number>((resolve, reject) =>
            httpGet({ host: '127.0.0.1', port, path: '/v1/stores/s-1', localAddress, agent: false }, (answer) => {
              answer.resume();
              resolve(answer.statusCode ?? 0);
            }).on('error', reject),
          );
        const callers = Array.from({ length: 32 }, async (_, worker) => {
          for (let i = worker; i < addresses.length; i += 32) {
            const status = await call(addresses[i]!);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        });
        await Promise.all(callers);
        expect(Object.fromEntries(statuses)).toEqual({ 401: 5_001 });
        // Head office's minute goes on: its fourth request is still one too many.
        expect((await service.fetch('/v1/stores/s-1')).status).toBe(429);
      },
    );
  });

  describe('command service over NATS: per POS client, 429', () => {
    const store1: TestPosClient = { id: 'store-1-pos', key: newApiKey('pos'), stores: ['s-1'] };
    let service: RunningCommandService;
    let prefix: string;
    let close: () => Promise<void>;
    let nats: NatsConnection;
    beforeAll(async () => {
      ({ service, prefix, close } = await startCommandServiceOnSimulator(
        [{ id: 's-1', payoutDestinationId: 'seller-1', terminals: ['N-1', 'N-2'] }],
        [HQ, store1],
        { NATS_RATE_LIMIT_PER_MINUTE: '3' },
      ));
      nats = await connect({ servers: NATS_URL });
    });
    afterAll(async () => {
      await nats?.close();
      await close?.();
    });

    const send = async (subject: string, message: unknown, key: string) => {
      const h = headers();
      h.set('Authorization', `Bearer ${key}`);
      const reply = await nats.request(subject, JSON.stringify(message), { timeout: 10_000, headers: h });
      return reply.json<{ status: number; body: Record<string, unknown> }>();
    };
    const start = (terminalId: string, key: string) =>
      send(
        natsNames(prefix).commands.start,
        {
          idempotencyKey: randomUUID(),
          payment: { storeId: 's-1', terminalId, amount: 100, currency: 'NOK', merchantReference: 'R' },
        },
        key,
      );

    it('refuses a client’s commands over the limit with 429 and when to retry, writing nothing; another client goes on', async () => {
      const list = () => send(natsNames(prefix).queries.payments, { query: { storeId: 's-1' } }, HQ.key);
      for (let i = 0; i < 3; i++) expect((await list()).status).toBe(200);
      const before = (await service.log.readAll({ limit: 10_000 })).length;
      const refused = await start('N-1', HQ.key);
      expect(refused).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED', status: 429 } });
      const retryAfter = Number(refused.body.retryAfterSeconds);
      expect(retryAfter).toBeGreaterThan(0);
      expect(refused.body.detail).toBe(`More than 3 requests a minute; retry after ${retryAfter} s`);
      expect((await service.log.readAll({ limit: 10_000 })).length).toBe(before);
      // Another client has its own allowance: the same start goes through for it.
      expect(await start('N-1', store1.key)).toMatchObject({ status: 201 });
      // An unknown key is refused as such, whatever the count.
      expect(await start('N-2', newApiKey('pos'))).toMatchObject({ status: 401 });
    });
  });

  describe('projections: per operator, by key or by session', () => {
    const prefix = uniquePrefix();
    const operator = testOperator('op-rate');
    let dir: string;
    let projections: NestFastifyApplication;
    let url: string;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'rate-limit-'));
      projections = await startProjections({
        EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
        NATS_PREFIX: prefix,
        OPERATORS_FILE: writeOperatorsFile(path.join(dir, 'operators.json'), [operator]),
        HTTP_RATE_LIMIT_PER_MINUTE: '3',
      });
      url = await projections.getUrl();
    });
    afterAll(async () => {
      await projections?.close();
      rmSync(dir, { recursive: true, force: true });
      await removeNatsState(prefix);
    });

    it('gives made-up operator keys their address’s allowance, and the operator its own across key and session', async () => {
      const session = await fetch(`${url}/v1/dashboard/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: operator.key }),
      });
      expect(session.status).toBe(200);
      const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
      const stores = (headers: Record<string, string>) => fetch(`${url}/v1/dashboard/stores`, { headers });

      // The sign-in was the address's first request; two made-up keys use the rest, the third is refused.
      for (let i = 0; i < 2; i++)
        expect((await stores({ authorization: `Bearer ${newApiKey('op')}` })).status).toBe(401);
      expect((await stores({ authorization: `Bearer ${newApiKey('op')}` })).status).toBe(429);

      // The operator's key and its session cookie are one client with three requests of its own.
      expect((await stores({ authorization: `Bearer ${operator.key}` })).status).toBe(200);
      expect((await stores({ cookie })).status).toBe(200);
      expect((await stores({ cookie })).status).toBe(200);
      expect((await stores({ authorization: `Bearer ${operator.key}` })).status).toBe(429);
    });
  });

  describe('behind the TLS proxy (TRUST_PROXY): per client address, as the proxy names it', () => {
    let dir: string;
    const started: { app: NestFastifyApplication; prefix: string }[] = [];
    beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'rate-limit-proxy-'))));
    afterAll(async () => {
      for (const { app, prefix } of started) {
        await app.close();
        await removeNatsState(prefix);
      }
      rmSync(dir, { recursive: true, force: true });
    });
    const projectionsBehind = async (trustProxy: string) => {
      // A prefix each: each app has a log of its own.
      const prefix = uniquePrefix();
      const app = await startProjections({
        EVENT_STORE_URL: `sqlite:${path.join(dir, `${started.length}.db`)}`,
        NATS_PREFIX: prefix,
        OPERATORS_FILE: writeOperatorsFile(path.join(dir, 'operators.json'), [testOperator('op-proxy')]),
        HTTP_RATE_LIMIT_PER_MINUTE: '3',
        ...(trustProxy ? { TRUST_PROXY: trustProxy } : {}),
      });
      started.push({ app, prefix });
      const url = await app.getUrl();
      return (client: string) => fetch(`${url}/v1/dashboard/stores`, { headers: { 'x-forwarded-for': client } });
    };

    it('gives each client the proxy names its own allowance, so that one cannot lock the others out', async () => {
      const stores = await projectionsBehind('loopback');
      for (let i = 0; i < 3; i++) expect((await stores('198.51.100.66')).status).toBe(401);
      expect((await stores('198.51.100.66')).status).toBe(429);
      expect((await stores('203.0.113.9')).status).toBe(401);
    });

    it('takes no caller’s word for its address without it: a made-up X-Forwarded-For shares the sender’s allowance', async () => {
      const stores = await projectionsBehind('');
      for (let i = 0; i < 3; i++) expect((await stores(`198.51.100.${i}`)).status).toBe(401);
      expect((await stores('203.0.113.9')).status).toBe(429);
    });

    it('refuses a TRUST_PROXY that names no proxy, saying what it takes', async () => {
      await expect(projectionsBehind('10.0.0.0/40')).rejects.toThrow(/TRUST_PROXY must be addresses or CIDR ranges/);
      await expect(projectionsBehind('my-proxy')).rejects.toThrow(/TRUST_PROXY must be/);
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
