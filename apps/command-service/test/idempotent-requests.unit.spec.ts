import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore } from '@app/event-store';
import { takenKey } from '../../../test/support/idempotency';
import { CommandServiceConfig } from '../src/command-service.config';
import { FaultPoints } from '../src/fault-points';
import { IdempotentRequests, type IdempotentSteps } from '../src/idempotency/idempotent-requests.service';
import type { KeyedRequest } from '../src/idempotency/request-fingerprint';

describe("an Idempotency-Key's request hashed as sent before the upgrade only for a key that holds another hash", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'idempotent-requests-'));
  const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
  // Its defaults: the lease is all `run` reads of it.
  const config = new CommandServiceConfig();
  const requests = new IdempotentRequests(store, config, new FaultPoints(config));
  const context = { correlationId: 'idempotent-requests', instance: '/v1/terminal-payments' };
  const steps: IdempotentSteps<string> = {
    admit: () => Promise.resolve(),
    prepare: (resourceId) => Promise.resolve(resourceId),
    execute: (resourceId) => Promise.resolve({ status: 201, body: { resourceId } }),
    resume: (resourceId) => Promise.resolve({ status: 201, body: { resourceId, resumed: true } }),
  };

  /** A start with its body as sent (the currency in lower case), counting the reads of that body. */
  const start = (amount: number) => {
    const sent = { terminalId: 'T-1', amount, currency: 'nok' };
    const request = { reads: 0, asTaken: { ...sent, currency: 'NOK' } } as KeyedRequest & { reads: number };
    Object.defineProperty(request, 'asSentBefore', {
      get: () => {
        request.reads++;
        return [sent];
      },
    });
    return { sent, request };
  };

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('not for a new key, nor a retry of it with the same request', async () => {
    const key = randomUUID();
    const { request } = start(100);
    const first = await requests.run('pos-a', key, request, context, steps);
    expect(first).toMatchObject({ status: 201 });
    expect(await requests.run('pos-a', key, request, context, steps)).toEqual(first);
    expect(request.reads).toBe(0);
  });

  it.each(['before the request', 'while it prepared'])(
    'for a key an instance of the version before took %s, whose retry is the same request still',
    async (when) => {
      const key = randomUUID();
      const resourceId = randomUUID();
      const { sent, request } = start(200);
      const at = new Date(Date.now() - 60_000);
      const takeKeyBefore = () => takenKey(store, { scope: 'pos-a', key, body: sent, resourceId, at, leaseUntil: at });
      if (when === 'before the request') await takeKeyBefore();
      const racing: IdempotentSteps<string> =
        when === 'while it prepared'
          ? { ...steps, prepare: (prepared) => takeKeyBefore().then(() => prepared) }
          : steps;
      expect(await requests.run('pos-a', key, request, context, racing)).toMatchObject({
        status: 201,
        body: { resourceId, resumed: true },
      });
      expect(request.reads).toBe(1);
    },
  );

  it('for a key held with another request, which it refuses still', async () => {
    const key = randomUUID();
    await requests.run('pos-a', key, start(300).request, context, steps);
    const another = start(301).request;
    await expect(requests.run('pos-a', key, another, context, steps)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect(another.reads).toBe(1);
  });
});
