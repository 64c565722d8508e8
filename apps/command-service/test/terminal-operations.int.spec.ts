import { randomUUID } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { handleCommand, readState } from '@app/event-store';
import {
  addDays,
  localDate,
  localTime,
  operationDecider,
  operationStream,
  terminalDecider,
  terminalStream,
} from '@app/payment-domain';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { gate } from '../../../test/support/gate';
import { HQ, type TestPosClient } from '../../../test/support/pos-clients';
import { simulatorClient } from '../../../test/support/simulator';
import { UsableTerminals } from '../src/registry/usable-terminals.service';

/** A till's key for op-store alone. */
const OSLO: TestPosClient = { id: 'op-store-pos', key: 'pos_test-op-store-key', stores: ['op-store'], registry: false };

/** Terminal operations through the POS API, taken to their end by the ingest service's operations reconciler. */
describe('terminal operations', () => {
  let engine: Engine;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    engine = await startEngine({
      sim: { SIM_OPERATION_DELAY_MS: '300', SIM_TERMINAL_DELAY_MS: '60000', SIM_TERMINAL_PROVISIONING_MS: '3600000' },
      ingest: {
        OPERATION_POLL_SECONDS: '1',
        OPERATION_RESEND_SECONDS: '1',
        RECONCILER_INTERVAL_MS: '100',
        RECONCILER_ORPHAN_CLAIM_SECONDS: '1',
      },
      posClients: [HQ, OSLO],
    });
    await engine.terminals('op-store', 'OP-1', 'OP-2', 'OP-3', 'OP-4', 'OP-5');
    await engine.terminals('op-other', 'OP-9');
  });
  afterAll(() => engine.close());

  const operate = async (
    terminalId: string,
    body: unknown,
    key = randomUUID(),
    client = HQ,
    storeId = 'op-store',
    correlationId = randomUUID(),
  ) => {
    const response = await engine.command.fetch(
      `/v1/stores/${storeId}/terminals/${terminalId}/operations`,
      {
        method: 'POST',
        headers: { ...json, 'idempotency-key': key, 'x-correlation-id': correlationId },
        body: JSON.stringify(body),
      },
      client,
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const final = async (operationId: string) => {
    let body: Record<string, unknown> = {};
    await waitUntil(
      async () => {
        const response = await engine.command.fetch(`/v1/terminal-operations/${operationId}?waitFor=final&timeout=5`);
        body = (await response.json()) as Record<string, unknown>;
        return body.final === true;
      },
      30_000,
      `operation ${operationId} final`,
    );
    return body;
  };
  /** The claim an operation takes on its terminal, written straight into the log (what a request writes first). */
  const claimForOperation = (terminalId: string, operationId: string, now: Date, metadata: Record<string, string>) =>
    handleCommand(
      engine.log,
      terminalStream(terminalId),
      terminalDecider,
      {
        type: 'ClaimTerminal',
        data: {
          terminalId,
          claimId: operationId,
          kind: 'operation',
          paymentId: operationId,
          storeId: 'op-store',
          claimedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + 600_000).toISOString(),
        },
      },
      { metadata },
    );
  const types = async (operationId: string) =>
    (await engine.log.readStream(operationStream(operationId))).map((event) => event.type);
  const released = async (terminalId: string) =>
    (await readState(engine.log, terminalStream(terminalId), terminalDecider)).state.status === 'free';

  it('closes a terminal’s day: 202 pending, then completed with the batch, the terminal held meanwhile and freed after', async () => {
    const correlationId = randomUUID();
    const started = await operate(
      'OP-1',
      { operation: 'end_of_day', operatorId: 'cashier-7' },
      undefined,
      HQ,
      'op-store',
      correlationId,
    );
    expect(started).toMatchObject({
      status: 202,
      body: { terminalId: 'OP-1', operation: 'end_of_day', status: 'pending', final: false },
    });
    const operationId = started.body.operationId as string;
    // What the request wrote carries its correlation id (the bad-input cases below look for writes by it).
    const [requested] = await engine.log.readStream(operationStream(operationId));
    expect(requested?.metadata.correlationId).toBe(correlationId);
    const payment = await engine.command.fetch('/v1/terminal-payments', {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({
        storeId: 'op-store',
        terminalId: 'OP-1',
        amount: 1000,
        currency: 'NOK',
        merchantReference: 'X',
      }),
    });
    expect(payment.status).toBe(409);
    expect(await payment.json()).toMatchObject({
      code: 'TERMINAL_BUSY',
      activeKind: 'operation',
      activeOperationId: operationId,
    });

    expect(await final(operationId)).toMatchObject({
      status: 'completed',
      batch: { batchId: '000001', purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, outcome: 'accepted' },
    });
    expect(await types(operationId)).toEqual([
      'OperationRequested',
      'OperationSubmitted',
      'OperationDispatched',
      'OperationCompleted',
    ]);
    await waitUntil(() => released('OP-1'), 10_000, 'OP-1 freed');
    const atDintero = (
      await engine.sim.control<{ operations: { terminal_id: string; parameters?: unknown }[] }>(
        'GET',
        '/ground-truth/fleet',
      )
    ).operations;
    expect(atDintero.filter((operation) => operation.terminal_id === 'OP-1')).toEqual([
      expect.objectContaining({ parameters: { operator_id: 'cashier-7' } }),
    ]);
  });

  it('closes the last day of a deactivated terminal by hand, and nothing else on it', async () => {
    await engine.terminals('op-retired', 'OPR-1');
    const deactivated = await engine.command.fetch('/v1/stores/op-retired/terminals/OPR-1/deactivate', {
      method: 'POST',
    });
    expect(deactivated.status).toBe(200);
    const started = await operate('OPR-1', { operation: 'end_of_day' }, undefined, HQ, 'op-retired');
    expect(started).toMatchObject({ status: 202, body: { terminalId: 'OPR-1', operation: 'end_of_day' } });
    expect(await final(started.body.operationId as string)).toMatchObject({
      status: 'completed',
      batch: { outcome: 'accepted' },
    });
    expect(await operate('OPR-1', { operation: 'send_logs' }, undefined, HQ, 'op-retired')).toMatchObject({
      status: 422,
      body: { code: 'TERMINAL_INACTIVE' },
    });
  });

  it('refuses an operation while a payment holds the terminal, writing nothing', async () => {
    const payment = await engine.start('op-store', 'OP-2', 1000);
    expect(payment.status).toBe('awaiting_card');
    const before = (await engine.log.readAll({ limit: 10_000 })).length;
    expect(await operate('OP-2', { operation: 'send_logs' })).toMatchObject({
      status: 409,
      body: { code: 'TERMINAL_BUSY', activeKind: 'payment', activePaymentId: payment.paymentId },
    });
    // The claim was refused before anything was recorded; only the idempotency key's own record remains.
    const written = (await engine.log.readAll({ limit: 10_000 })).slice(before);
    expect(written.filter((event) => event.streamName.startsWith('operation-'))).toEqual([]);
    expect(written.filter((event) => event.streamName.startsWith('terminal-'))).toEqual([]);
  });

  it.each([
    ['FAILED', 'failed'],
    ['TIMEOUT', 'timed_out'],
  ])('records a terminal answering %s and frees it', async (outcome, status) => {
    await engine.sim.control('PUT', '/terminals/OP-3/operation-outcomes', { outcomes: [outcome] });
    const started = await operate('OP-3', { operation: 'send_logs' });
    expect(await final(started.body.operationId as string)).toMatchObject({ status, final: true });
    await waitUntil(() => released('OP-3'), 10_000, 'OP-3 freed');
  });

  it("honours Dintero's 409 with Retry-After: deferred, sent again, completed", async () => {
    const dintero = simulatorClient(engine.sim);
    try {
      await dintero.sendTerminalOperation({ terminalId: 'OP-4', operation: 'send_logs', idempotencyKey: randomUUID() });
    } finally {
      await dintero.close();
    }
    const started = await operate('OP-4', { operation: 'end_of_day' });
    expect(started.body).toMatchObject({ status: 'deferred', retryAt: expect.any(String) });
    const operationId = started.body.operationId as string;
    expect(await final(operationId)).toMatchObject({ status: 'completed' });
    expect(await types(operationId)).toEqual([
      'OperationRequested',
      'OperationSubmitted',
      'OperationDeferred',
      'OperationSubmitted',
      'OperationDispatched',
      'OperationCompleted',
    ]);
    // Held for seconds, past the orphan grace: the payment reconciler left the claim to the operation.
    await waitUntil(() => released('OP-4'), 10_000, 'OP-4 freed');
    const releases = (await engine.log.readStream(terminalStream('OP-4'))).filter((e) => e.type === 'TerminalReleased');
    expect(releases.map((event) => (event.data as { reason: string }).reason)).toEqual(['finished']);
  });

  it('finishes an operation whose request died after recording it: sent once, completed, terminal freed', async () => {
    const operationId = randomUUID();
    const now = new Date();
    const metadata = { correlationId: 'crash-test', operationId, storeId: 'op-store', terminalId: 'OP-5' };
    await claimForOperation('OP-5', operationId, now, metadata);
    await handleCommand(
      engine.log,
      operationStream(operationId),
      operationDecider,
      {
        type: 'RequestOperation',
        data: {
          operationId,
          storeId: 'op-store',
          terminalId: 'OP-5',
          dinteroTerminalId: 'OP-5',
          operation: 'end_of_day',
          claimId: operationId,
          requestedBy: 'hq',
          requestedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + 600_000).toISOString(),
        },
      },
      { metadata },
    );
    // …and it died before sending it.
    expect(await final(operationId)).toMatchObject({ status: 'completed' });
    await waitUntil(() => released('OP-5'), 10_000, 'OP-5 freed');
    const atDintero = (
      await engine.sim.control<{ operations: { terminal_id: string }[] }>('GET', '/ground-truth/fleet')
    ).operations;
    expect(atDintero.filter((operation) => operation.terminal_id === 'OP-5')).toHaveLength(1);
  });

  it('releases an operation claim with no operation recorded behind it (the log failed between the two)', async () => {
    const operationId = randomUUID();
    const now = new Date();
    await claimForOperation('OP-3', operationId, now, { correlationId: 'orphan-test' });
    await waitUntil(() => released('OP-3'), 15_000, 'the orphan claim released');
    const last = (await engine.log.readStream(terminalStream('OP-3'))).at(-1);
    expect(last).toMatchObject({ type: 'TerminalReleased', data: { claimId: operationId, reason: 'reconciled' } });
  });

  it('dates a close by hand by the store day it closes: the day before, before a morning end of day', async () => {
    // A store whose day ends at 11:59, in a zone where it is now well before that (one always is).
    const now = new Date().toISOString();
    const zones = ['Pacific/Kiritimati', 'Pacific/Auckland', 'Asia/Tokyo', 'Asia/Kolkata', 'Europe/Oslo'].concat(
      'America/Sao_Paulo America/New_York America/Los_Angeles Pacific/Honolulu Pacific/Pago_Pago'.split(' '),
    );
    const timeZone = zones.find((zone) => localTime(now, zone) < '11:00')!;
    await engine.sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      terminals: [{ terminal_id: 'OP-AM', store_id: 'op-morning' }],
    });
    for (const [path, body] of [
      [
        '/v1/stores/op-morning',
        { name: 'Morning', payoutDestinationId: 'seller-1', timeZone, endOfDayTime: '11:59', currencies: ['NOK'] },
      ],
      ['/v1/stores/op-morning/terminals/OP-AM', {}],
    ] as const) {
      const registered = await engine.command.fetch(path, { method: 'PUT', headers: json, body: JSON.stringify(body) });
      expect(`${registered.status} ${await registered.text()}`).toMatch(/^20[01] /);
    }
    const started = await operate('OP-AM', { operation: 'end_of_day' }, undefined, HQ, 'op-morning');
    const yesterday = addDays(localDate(now, timeZone), -1);
    expect(started).toMatchObject({ status: 202, body: { operation: 'end_of_day', businessDay: yesterday } });
    const operationId = started.body.operationId as string;
    const [requested] = await engine.log.readStream(operationStream(operationId));
    expect(requested?.data).toMatchObject({ businessDay: yesterday });
    // Its completion carries the day too: the read models date the close by it.
    await final(operationId);
    const completed = (await engine.log.readStream(operationStream(operationId))).at(-1);
    expect(completed).toMatchObject({ type: 'OperationCompleted', metadata: { businessDay: yesterday } });
    // A day that ends in the evening: a close by hand is dated by its local date.
    await engine.terminals('op-store', 'OP-EVE');
    const evening = await operate('OP-EVE', { operation: 'end_of_day' });
    expect(evening).toMatchObject({ status: 202, body: { operation: 'end_of_day' } });
    expect(evening.body.businessDay).toBe(localDate(new Date().toISOString(), 'Europe/Oslo'));
    await final(evening.body.operationId as string);
  });

  it('sends an operation to the device the terminal has once it holds it, not the one looked up before a change', async () => {
    await engine.terminals('op-store', 'OP-SW');
    await engine.sim.control('POST', '/seed', { terminals: [{ terminal_id: 'OP-SW-NEW', store_id: 'op-store' }] });
    // The operation has looked its terminal's device up, and has not yet taken the terminal, when it is changed.
    const looked = gate(engine.command.app.get(UsableTerminals), 'usable', 'after');
    const started = operate('OP-SW', { operation: 'send_logs' });
    await looked.reached;
    const swapped = await engine.command.fetch('/v1/stores/op-store/terminals/OP-SW', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ dinteroTerminalId: 'OP-SW-NEW' }),
    });
    expect(swapped.status).toBe(200);
    looked.open();
    const operation = await started;
    expect(operation.status).toBe(202);
    await final(operation.body.operationId as string);
    const sent = (
      await engine.sim.control<{ operations: { terminal_id: string; operation_type?: string }[] }>(
        'GET',
        '/ground-truth/fleet',
      )
    ).operations.filter((each) => each.terminal_id === 'OP-SW' || each.terminal_id === 'OP-SW-NEW');
    expect(sent.map((each) => each.terminal_id)).toEqual(['OP-SW-NEW']);
  });

  it('runs an operation on each active terminal of a store, once per key, and answers each', async () => {
    const key = randomUUID();
    const send = async () => {
      const response = await engine.command.fetch('/v1/stores/op-other/operations', {
        method: 'POST',
        headers: { ...json, 'idempotency-key': key },
        body: JSON.stringify({ operation: 'send_logs' }),
      });
      return {
        status: response.status,
        body: (await response.json()) as {
          operations: { terminalId: string; status: number; body: { operationId: string } }[];
        },
      };
    };
    const first = await send();
    expect(first.status).toBe(202);
    expect(first.body.operations).toEqual([
      { terminalId: 'OP-9', status: 202, body: expect.objectContaining({ operationId: expect.any(String) }) },
    ]);
    const again = await send();
    expect(again.body.operations[0]!.body.operationId).toBe(first.body.operations[0]!.body.operationId);
    await final(first.body.operations[0]!.body.operationId);
  });

  it('answers a store-wide operation per terminal: one Dintero has not ACTIVE is refused, the others run', async () => {
    await engine.terminals('op-mixed', 'OP-M2');
    // A device Dintero is still provisioning (PENDING) under the name OP-M1.
    const pending = await engine.command.fetch('/v1/stores/op-mixed/terminals/OP-M1', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ deviceSerialNumber: 'SN-M1' }),
    });
    expect(pending.status).toBe(200);
    const response = await engine.command.fetch('/v1/stores/op-mixed/operations', {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ operation: 'send_logs' }),
    });
    const body = (await response.json()) as {
      operations: { terminalId: string; status: number; body: Record<string, unknown> }[];
    };
    expect(body.operations).toEqual([
      {
        terminalId: 'OP-M1',
        status: 422,
        body: expect.objectContaining({ code: 'TERMINAL_NOT_ACTIVE_AT_DINTERO', dinteroStatus: 'PENDING' }),
      },
      { terminalId: 'OP-M2', status: 202, body: expect.objectContaining({ operationId: expect.any(String) }) },
    ]);
    await final(body.operations[1]!.body.operationId as string);
  });

  it('answers the same over NATS', async () => {
    const subject = natsNames(engine.prefix).commands.operate;
    const headers = natsHeaders();
    headers.set('authorization', `Bearer ${HQ.key}`);
    const reply = await engine.nats.request(
      subject,
      JSON.stringify({
        idempotencyKey: randomUUID(),
        storeId: 'op-store',
        terminalId: 'OP-1',
        operation: { operation: 'check_update' },
      }),
      { timeout: 10_000, headers },
    );
    const answer = reply.json<{ status: number; body: { operationId: string; status: string } }>();
    expect(answer).toMatchObject({ status: 202, body: { status: 'pending' } });
    // Read back over NATS too, waiting for the outcome as `GET /v1/terminal-operations/{id}?waitFor=final` does.
    const { operationId } = answer.body;
    const read = await engine.nats.request(
      natsNames(engine.prefix).queries.operation,
      JSON.stringify({ operationId, waitFor: 'final', timeout: 20 }),
      { timeout: 30_000, headers },
    );
    const outcome = read.json<{ status: number; body: Record<string, unknown> }>();
    expect(outcome).toMatchObject({ status: 200, body: { operationId, status: 'completed', final: true } });
    expect(await final(operationId)).toEqual(outcome.body);
    const unknown = await engine.nats.request(
      natsNames(engine.prefix).queries.operation,
      JSON.stringify({ operationId: randomUUID() }),
      { timeout: 10_000, headers },
    );
    expect(unknown.json()).toMatchObject({ status: 404, body: { code: 'UNKNOWN_OPERATION' } });
  });

  it('answers a key of another store on an operation as on an unknown id: 404', async () => {
    const started = await operate('OP-9', { operation: 'check_update' }, randomUUID(), HQ, 'op-other');
    expect(started.status).toBe(202);
    const operationId = started.body.operationId as string;
    const read = async (id: string) => {
      const response = await engine.command.fetch(`/v1/terminal-operations/${id}?waitFor=final&timeout=30`, {}, OSLO);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const foreign = await read(operationId);
    const unknownId = randomUUID();
    const unknown = await read(unknownId);
    expect(foreign).toMatchObject({ status: 404, body: { code: 'UNKNOWN_OPERATION', operationId } });
    expect(JSON.stringify(foreign).replaceAll(operationId, 'ID')).toBe(
      JSON.stringify(unknown).replaceAll(unknownId, 'ID'),
    );
    await final(operationId);
  });

  describe('bad input: a clear 4xx and nothing written', () => {
    it.each([
      ['an unknown operation', 'OP-1', { operation: 'reboot' }, HQ, 'op-store', 400, 'VALIDATION_FAILED'],
      [
        'an operator id with spaces',
        'OP-1',
        { operation: 'end_of_day', operatorId: 'a b' },
        HQ,
        'op-store',
        400,
        'VALIDATION_FAILED',
      ],
      ['an unknown terminal', 'OP-404', { operation: 'end_of_day' }, HQ, 'op-store', 404, 'UNKNOWN_TERMINAL'],
      ['a store of another key', 'OP-9', { operation: 'end_of_day' }, OSLO, 'op-other', 403, 'STORE_NOT_ALLOWED'],
    ])('%s', async (_case, terminalId, body, client, storeId, status, code) => {
      const before = (await engine.log.readAll({ limit: 10_000 })).length;
      const correlationId = randomUUID();
      expect(await operate(terminalId, body, randomUUID(), client, storeId, correlationId)).toMatchObject({
        status,
        body: { code },
      });
      // What this request wrote: the workers of earlier tests' operations may be writing meanwhile.
      const written = (await engine.log.readAll({ limit: 10_000 }))
        .slice(before)
        .filter((event) => event.metadata.correlationId === correlationId);
      expect(written.filter((event) => !event.streamName.startsWith('idempotency-'))).toEqual([]);
    });
  });
});
