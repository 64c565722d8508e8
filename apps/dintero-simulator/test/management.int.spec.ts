import { type DinteroClient, DinteroRejectedError } from '@app/dintero';
import { simulatorClient, startSimulator, type RunningSimulator } from '../../../test/support/simulator';

/** The simulator's management API for stores and terminals, through the engine's Dintero client. */
describe('Dintero simulator: stores and terminals', () => {
  let sim: RunningSimulator;
  let dintero: DinteroClient;

  beforeEach(async () => {
    sim = await startSimulator({ SIM_TERMINAL_PROVISIONING_MS: '3600000' });
    await sim.control('POST', '/seed', { payoutDestinations: ['seller-1'] });
    dintero = simulatorClient(sim);
  });
  afterEach(async () => {
    await dintero.close();
    await sim.close();
  });

  const rejection = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DinteroRejectedError);
    const { status, code } = error as DinteroRejectedError;
    return { status, code };
  };

  it('creates a store once, on a payout destination it has, and finds it by your store id', async () => {
    const created = await dintero.createStore({ storeId: 'oslo', name: 'Oslo', payoutDestinationId: 'seller-1' });
    expect(created).toMatchObject({ id: 'T12345678-0001', store_id: 'oslo', store_name: 'Oslo' });
    expect(await dintero.getStore('oslo')).toMatchObject({ id: 'T12345678-0001' });
    expect(await dintero.getStore('nowhere')).toBeUndefined();
    expect(
      await rejection(dintero.createStore({ storeId: 'oslo', name: 'Oslo', payoutDestinationId: 'seller-1' })),
    ).toEqual({ status: 409, code: 'STORE_ALREADY_EXISTS' });
    expect(
      await rejection(dintero.createStore({ storeId: 'bergen', name: 'B', payoutDestinationId: 'seller-9' })),
    ).toEqual({ status: 400, code: 'PAYOUT_DESTINATION_NOT_FOUND' });
  });

  it('registers devices: a sandbox serial ACTIVE at once, another PENDING until provisioned, one serial once', async () => {
    await dintero.createStore({ storeId: 'oslo', name: 'Oslo', payoutDestinationId: 'seller-1' });
    const sandbox = await dintero.registerTerminal({ storeId: 'oslo', deviceSerialNumber: 'SIMULATED-T12345678-001' });
    expect(sandbox).toMatchObject({ terminal_id: 'T12345678-T0001', store_id: 'oslo', status: 'ACTIVE' });
    // The model comes from the serial number, as Dintero resolves it since 2026-06-03.
    const real = await dintero.registerTerminal({ storeId: 'oslo', deviceSerialNumber: 'S1F4-77' });
    expect(real).toMatchObject({ terminal_id: 'T12345678-T0002', status: 'PENDING', device_model: 'Saturn_S1F4_Pro' });
    expect(sandbox.device_model).toBe('SATURN1000');
    expect(await rejection(dintero.registerTerminal({ storeId: 'oslo', deviceSerialNumber: 'S1F4-77' }))).toEqual({
      status: 409,
      code: 'TERMINAL_ALREADY_EXISTS',
    });
    expect(await rejection(dintero.registerTerminal({ storeId: 'nowhere', deviceSerialNumber: 'SN-78' }))).toEqual({
      status: 404,
      code: 'NOT_FOUND',
    });
    await sim.control('PUT', `/terminals/${real.terminal_id}`, { status: 'ACTION_REQUIRED' });
    expect(await dintero.getTerminal(real.terminal_id)).toMatchObject({
      status: 'ACTION_REQUIRED',
      status_reason: 'CHECK_UPDATE',
    });
    expect(await dintero.getTerminal('T12345678-T0999')).toBeUndefined();
  });

  it('ends provisioning by itself after SIM_TERMINAL_PROVISIONING_MS, in ACTION_REQUIRED for a CHECK-UPDATE- serial', async () => {
    await sim.close();
    sim = await startSimulator({ SIM_TERMINAL_PROVISIONING_MS: '0' });
    await sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      stores: [{ id: 'oslo', payout_destination_id: 'seller-1' }],
    });
    const client = simulatorClient(sim);
    try {
      const plain = await client.registerTerminal({ storeId: 'oslo', deviceSerialNumber: 'SN-1' });
      const waiting = await client.registerTerminal({ storeId: 'oslo', deviceSerialNumber: 'CHECK-UPDATE-1' });
      expect((await client.getTerminal(plain.terminal_id))?.status).toBe('ACTIVE');
      expect(await client.getTerminal(waiting.terminal_id)).toMatchObject({
        status: 'ACTION_REQUIRED',
        status_reason: 'CHECK_UPDATE',
      });
    } finally {
      await client.close();
    }
  });

  it('lists terminals page after page, by store and by serial', async () => {
    await dintero.createStore({ storeId: 'oslo', name: 'Oslo', payoutDestinationId: 'seller-1' });
    await dintero.createStore({ storeId: 'bergen', name: 'Bergen', payoutDestinationId: 'seller-1' });
    for (let n = 1; n <= 130; n++)
      await dintero.registerTerminal({ storeId: n % 2 ? 'oslo' : 'bergen', deviceSerialNumber: `SN-${n}` });
    const oslo = await dintero.listTerminals({ storeId: 'oslo' });
    expect(oslo).toHaveLength(65);
    expect(new Set(oslo.map((terminal) => terminal.terminal_id)).size).toBe(65);
    expect(oslo.every((terminal) => terminal.store_id === 'oslo')).toBe(true);
    expect(await dintero.listTerminals({ deviceSerialNumber: 'SN-100' })).toEqual([
      expect.objectContaining({ device_serial_number: 'SN-100', store_id: 'bergen' }),
    ]);
    const page = await fetch(`${sim.url}/v1/accounts/T12345678/terminals?limit=100`, {
      headers: { authorization: `Bearer ${await dintero.accessToken()}` },
    });
    const body = (await page.json()) as { terminals: unknown[]; starting_after?: string };
    expect(body.terminals).toHaveLength(100);
    expect(body.starting_after).toBe('T12345678-T0100');
  });
});
