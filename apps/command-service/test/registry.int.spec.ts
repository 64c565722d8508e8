import type { EventStore } from '@app/event-store';
import { startCommandService, type RunningCommandService } from '../../../test/support/command-service';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';

describe('command service: store and terminal registry over HTTP', () => {
  let service: RunningCommandService;
  let sim: RunningSimulator;
  let log: EventStore;

  beforeAll(async () => {
    sim = await startSimulator();
    // What Dintero has before the engine registers anything: the payout destination, and terminal T-1 of
    // store bergen, registered in Dintero's Backoffice.
    await sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      terminals: [{ terminal_id: 'T-1', store_id: 'bergen' }],
    });
    service = await startCommandService({
      HTTP_BODY_LIMIT: '4096',
      DINTERO_API_URL: sim.url,
      DINTERO_CHECKOUT_URL: sim.url,
    });
    ({ log } = service);
  });
  afterAll(async () => {
    await service.close();
    await sim.close();
  });

  const send = async (method: string, route: string, body?: unknown, raw?: string) => {
    const response = await service.fetch(route, {
      method,
      headers: body === undefined && raw === undefined ? {} : { 'content-type': 'application/json' },
      ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const store = { name: 'Oslo Center', payoutDestinationId: 'seller-1', timeZone: 'Europe/Oslo' };
  const written = async () => (await log.readAll({ limit: 10_000 })).length;

  it('registers a store (201) and creates it at Dintero, accepts the same again (200) and records a change once', async () => {
    const created = await send('PUT', '/v1/stores/oslo-center', store);
    expect(created).toMatchObject({
      status: 201,
      body: {
        storeId: 'oslo-center',
        ...store,
        dinteroStoreId: expect.stringMatching(/^T12345678-\d{4}$/),
        terminals: [],
      },
    });
    const atDintero = await sim.control<{ stores: { store_id: string; id: string }[] }>('GET', '/ground-truth/fleet');
    expect(atDintero.stores).toContainEqual(
      expect.objectContaining({ store_id: 'oslo-center', id: created.body.dinteroStoreId }),
    );
    const before = await written();
    expect((await send('PUT', '/v1/stores/oslo-center', store)).status).toBe(200);
    expect(await written()).toBe(before);
    expect(await send('PUT', '/v1/stores/oslo-center', { ...store, name: 'Oslo City' })).toMatchObject({
      status: 200,
      body: { name: 'Oslo City' },
    });
    expect(await written()).toBe(before + 1);
  });

  it('registers, deactivates and shows terminals, with the device Dintero has under the name', async () => {
    await send('PUT', '/v1/stores/bergen', store);
    const device = { terminalId: 'T-1', deviceSerialNumber: 'T-1', status: 'ACTIVE' };
    expect((await send('PUT', '/v1/stores/bergen/terminals/T-1')).body.terminals).toEqual([
      { terminalId: 'T-1', active: true, dintero: device },
    ]);
    expect((await send('POST', '/v1/stores/bergen/terminals/T-1/deactivate')).body.terminals).toEqual([
      { terminalId: 'T-1', active: false, dintero: device },
    ]);
    expect(await send('GET', '/v1/stores/bergen')).toMatchObject({
      status: 200,
      body: { storeId: 'bergen', terminals: [{ terminalId: 'T-1', active: false }] },
    });
  });

  describe('bad input: Problem Details with a stable code, and nothing written', () => {
    it.each([
      [
        'an unknown time zone',
        'PUT',
        '/v1/stores/s1',
        { ...store, timeZone: 'Mars/Olympus' },
        undefined,
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a missing payout destination',
        'PUT',
        '/v1/stores/s1',
        { name: 'x', timeZone: 'UTC' },
        undefined,
        400,
        'VALIDATION_FAILED',
      ],
      ['an unknown field', 'PUT', '/v1/stores/s1', { ...store, owner: 'me' }, undefined, 400, 'VALIDATION_FAILED'],
      [
        'a store id that is not a subject token',
        'PUT',
        '/v1/stores/oslo.center',
        store,
        undefined,
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a terminal id that is not a subject token',
        'PUT',
        '/v1/stores/oslo-center/terminals/T%201',
        undefined,
        undefined,
        400,
        'VALIDATION_FAILED',
      ],
      ['malformed JSON', 'PUT', '/v1/stores/s1', undefined, '{"name":', 400, 'MALFORMED_REQUEST'],
      [
        'an oversized body',
        'PUT',
        '/v1/stores/s1',
        { ...store, name: 'x'.repeat(5_000) },
        undefined,
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'a terminal of an unregistered store',
        'PUT',
        '/v1/stores/nowhere/terminals/T-1',
        undefined,
        undefined,
        404,
        'UNKNOWN_STORE',
      ],
      [
        'deactivating an unknown terminal',
        'POST',
        '/v1/stores/oslo-center/terminals/T-9/deactivate',
        undefined,
        undefined,
        404,
        'UNKNOWN_TERMINAL',
      ],
      ['reading an unregistered store', 'GET', '/v1/stores/nowhere', undefined, undefined, 404, 'UNKNOWN_STORE'],
      // A name every JavaScript object answers to: no terminal of the store's until it is registered.
      [
        'reading a terminal named constructor, never registered',
        'GET',
        '/v1/stores/oslo-center/terminals/constructor',
        undefined,
        undefined,
        404,
        'UNKNOWN_TERMINAL',
      ],
      [
        'deactivating a terminal named toString, never registered',
        'POST',
        '/v1/stores/oslo-center/terminals/toString/deactivate',
        undefined,
        undefined,
        404,
        'UNKNOWN_TERMINAL',
      ],
      [
        'a terminal Dintero does not have',
        'PUT',
        '/v1/stores/oslo-center/terminals/T-404',
        {},
        undefined,
        422,
        'DINTERO_TERMINAL_NOT_FOUND',
      ],
      [
        'a serial and a Dintero id both',
        'PUT',
        '/v1/stores/oslo-center/terminals/T-9',
        { deviceSerialNumber: 'SN-9', dinteroTerminalId: 'T12345678-T0009' },
        undefined,
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a device model without a serial',
        'PUT',
        '/v1/stores/oslo-center/terminals/T-9',
        { deviceModel: 'SATURN1000' },
        undefined,
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a serial that is not one',
        'PUT',
        '/v1/stores/oslo-center/terminals/T-9',
        { deviceSerialNumber: 'SN 9/9' },
        undefined,
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a store whose payout destination Dintero does not have',
        'PUT',
        '/v1/stores/s2',
        { ...store, payoutDestinationId: 'seller-404' },
        undefined,
        422,
        'DINTERO_REJECTED',
      ],
    ])('%s', async (_case, method, route, body, raw, status, code) => {
      await send('PUT', '/v1/stores/oslo-center', store);
      const before = await written();
      const answer = await send(method, route, body, raw);
      expect(answer.status).toBe(status);
      expect(answer.type).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status, code, detail: expect.any(String) });
      expect(await written()).toBe(before);
    });
  });
});
