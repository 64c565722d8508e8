import { randomUUID } from 'node:crypto';
import { handleCommand, type EventStore } from '@app/event-store';
import { storeDecider, storeStream, terminalDecider, terminalStream } from '@app/payment-domain';
import { SimulatorState } from '../../../apps/dintero-simulator/src/state/simulator-state';
import { startCommandService, type RunningCommandService } from '../../../test/support/command-service';
import { gate } from '../../../test/support/gate';
import { deviceChangeClaimId, RegistryService } from '../src/registry/registry.service';
import { UsableTerminals } from '../src/registry/usable-terminals.service';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';

/** Stores and terminals onboarded at Dintero through the engine (the simulator is Dintero). */
describe('command service: onboarding stores and terminals at Dintero', () => {
  let service: RunningCommandService;
  let sim: RunningSimulator;
  let log: EventStore;

  const store = { name: 'Oslo Center', payoutDestinationId: 'seller-1', timeZone: 'Europe/Oslo' };
  const sandboxSerial = (n: number) => `SIMULATED-T12345678-${String(n).padStart(3, '0')}`;

  beforeAll(async () => {
    // Provisioning that does not end by itself in a test: `/_control` ends it.
    sim = await startSimulator({ SIM_TERMINAL_PROVISIONING_MS: '3600000' });
    await sim.control('POST', '/seed', { payoutDestinations: ['seller-1'] });
    service = await startCommandService({
      DINTERO_API_URL: sim.url,
      DINTERO_CHECKOUT_URL: sim.url,
      DINTERO_TIMEOUT_MS: '2000',
    });
    ({ log } = service);
    for (const id of ['oslo', 'bergen']) expect((await send('PUT', `/v1/stores/${id}`, store)).status).toBe(201);
  });
  afterAll(async () => {
    await service.close();
    await sim.close();
  });

  async function send(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await service.fetch(route, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const start = (terminalId: string, storeId = 'oslo') =>
    send(
      'POST',
      '/v1/terminal-payments',
      { storeId, terminalId, amount: 39_900, currency: 'NOK', merchantReference: 'POS-1' },
      { 'idempotency-key': randomUUID() },
    );
  const written = async () => (await log.readAll({ limit: 10_000 })).length;
  const fleet = () =>
    sim.control<{
      terminals: { terminal_id: string; device_serial_number: string; store_id: string; status: string }[];
    }>('GET', '/ground-truth/fleet');
  const terminalOf = (view: Record<string, unknown>, name: string) =>
    (view.terminals as { terminalId: string; dintero?: { terminalId: string; status: string } }[]).find(
      (terminal) => terminal.terminalId === name,
    );

  it("registers a sandbox device at Dintero, ACTIVE at once; the POS pays with the chain's name, Dintero sees its id", async () => {
    const answer = await send('PUT', '/v1/stores/oslo/terminals/till-1', {
      deviceSerialNumber: sandboxSerial(1),
      deviceModel: 'SATURN1000',
    });
    expect(answer.status).toBe(200);
    const dintero = terminalOf(answer.body, 'till-1')?.dintero;
    expect(dintero).toEqual({
      terminalId: expect.stringMatching(/^T12345678-T\d{4}$/),
      deviceSerialNumber: sandboxSerial(1),
      deviceModel: 'SATURN1000',
      status: 'ACTIVE',
    });
    expect((await fleet()).terminals).toContainEqual(
      expect.objectContaining({ terminal_id: dintero!.terminalId, store_id: 'oslo', status: 'ACTIVE' }),
    );

    const before = await written();
    expect(
      (
        await send('PUT', '/v1/stores/oslo/terminals/till-1', {
          deviceSerialNumber: sandboxSerial(1),
          deviceModel: 'SATURN1000',
        })
      ).status,
    ).toBe(200);
    expect(await written()).toBe(before);

    const payment = await start('till-1');
    expect(payment).toMatchObject({ status: 201, body: { terminalId: 'till-1', status: 'awaiting_card' } });
    const session = sim.app.get(SimulatorState).sessions.get(payment.body.sessionId as string);
    expect(session?.order.store.terminal_id).toBe(dintero!.terminalId);
    expect((await send('GET', '/v1/stores/oslo/terminals/till-1')).body).toMatchObject({
      free: false,
      dintero: { terminalId: dintero!.terminalId, status: 'ACTIVE' },
      holder: { kind: 'payment', paymentId: payment.body.paymentId },
    });
  });

  it('records PENDING, refuses a payment before any session with the Dintero status, and takes one once Dintero has it ACTIVE', async () => {
    const answer = await send('PUT', '/v1/stores/oslo/terminals/till-2', { deviceSerialNumber: 'SN-2002' });
    const dintero = terminalOf(answer.body, 'till-2')!.dintero!;
    expect(dintero.status).toBe('PENDING');

    const sessions = sim.app.get(SimulatorState).sessions.size;
    const before = await written();
    expect(await start('till-2')).toMatchObject({
      status: 422,
      body: {
        code: 'TERMINAL_NOT_ACTIVE_AT_DINTERO',
        dinteroStatus: 'PENDING',
        dinteroTerminalId: dintero.terminalId,
      },
    });
    expect(await written()).toBe(before);
    expect(sim.app.get(SimulatorState).sessions.size).toBe(sessions);

    await sim.control('PUT', `/terminals/${dintero.terminalId}`, { status: 'ACTION_REQUIRED' });
    expect(await start('till-2')).toMatchObject({
      status: 422,
      body: { dinteroStatus: 'ACTION_REQUIRED', dinteroStatusReason: 'CHECK_UPDATE' },
    });

    await sim.control('PUT', `/terminals/${dintero.terminalId}`, { status: 'ACTIVE' });
    expect((await start('till-2')).status).toBe(201);
    const changes = (await log.readStream(storeStream('oslo')))
      .filter((event) => event.type === 'TerminalStatusChanged')
      .map((event) => event.data as { terminalId: string; status: string; previousStatus: string });
    expect(changes.filter((change) => change.terminalId === 'till-2')).toEqual([
      expect.objectContaining({ status: 'ACTION_REQUIRED', previousStatus: 'PENDING' }),
      expect.objectContaining({ status: 'ACTIVE', previousStatus: 'ACTION_REQUIRED' }),
    ]);
  });

  it("learns a terminal made inactive at Dintero from Dintero's refusal, and refuses the next payment before any session", async () => {
    const answer = await send('PUT', '/v1/stores/oslo/terminals/till-6', { deviceSerialNumber: sandboxSerial(6) });
    const { terminalId } = terminalOf(answer.body, 'till-6')!.dintero!;
    await sim.control('PUT', `/terminals/${terminalId}`, { status: 'INACTIVE' });
    expect(await start('till-6')).toMatchObject({ status: 422, body: { code: 'DINTERO_REJECTED' } });
    const sessions = sim.app.get(SimulatorState).sessions.size;
    expect(await start('till-6')).toMatchObject({
      status: 422,
      body: { code: 'TERMINAL_NOT_ACTIVE_AT_DINTERO', dinteroStatus: 'INACTIVE' },
    });
    expect(sim.app.get(SimulatorState).sessions.size).toBe(sessions);
  });

  it('sends Dintero no device model, and refuses a device Dintero knows as another model, recording nothing', async () => {
    const before = await written();
    expect(
      await send('PUT', '/v1/stores/oslo/terminals/till-8', {
        deviceSerialNumber: 'S1F4-8',
        deviceModel: 'SATURN1000',
      }),
    ).toMatchObject({
      status: 422,
      body: { code: 'DINTERO_TERMINAL_DIFFERS', dinteroDeviceModel: 'Saturn_S1F4_Pro' },
    });
    expect(await written()).toBe(before);
    // Registered at Dintero all the same, as the model came from its serial: the right model finds it there.
    const answer = await send('PUT', '/v1/stores/oslo/terminals/till-8', {
      deviceSerialNumber: 'S1F4-8',
      deviceModel: 'Saturn_S1F4_Pro',
    });
    expect(answer.status).toBe(200);
    expect(terminalOf(answer.body, 'till-8')?.dintero).toMatchObject({ deviceModel: 'Saturn_S1F4_Pro' });
    expect((await fleet()).terminals.filter((terminal) => terminal.device_serial_number === 'S1F4-8')).toHaveLength(1);
  });

  it('learns a terminal in ERROR at Dintero with its reason, refuses payments on it, and takes them once it is ACTIVE again', async () => {
    const answer = await send('PUT', '/v1/stores/oslo/terminals/till-7', { deviceSerialNumber: sandboxSerial(7) });
    const { terminalId } = terminalOf(answer.body, 'till-7')!.dintero!;
    await sim.control('PUT', `/terminals/${terminalId}`, { status: 'ERROR', status_reason: 'TAMPERED' });
    expect(await start('till-7')).toMatchObject({ status: 422, body: { code: 'DINTERO_REJECTED' } });
    expect(await start('till-7')).toMatchObject({
      status: 422,
      body: { code: 'TERMINAL_NOT_ACTIVE_AT_DINTERO', dinteroStatus: 'ERROR', dinteroStatusReason: 'TAMPERED' },
    });
    const view = await send('GET', '/v1/stores/oslo/terminals/till-7');
    expect(view.body.dintero).toMatchObject({ status: 'ERROR', statusReason: 'TAMPERED' });
    // Dintero brings it back: the next payment asks Dintero again, and goes through.
    await sim.control('PUT', `/terminals/${terminalId}`, { status: 'ACTIVE' });
    expect(await start('till-7')).toMatchObject({ status: 201 });
  });

  it('answers 503 and writes nothing while Dintero is down; the same request again finishes, with one device at Dintero', async () => {
    const before = await written();
    await sim.control('PUT', '/chaos', { api5xxRate: 1 });
    try {
      for (const attempt of [1, 2, 3]) {
        const answer = await send('PUT', '/v1/stores/oslo/terminals/till-3', { deviceSerialNumber: `SN-300` });
        expect({ attempt, status: answer.status, code: answer.body.code }).toEqual({
          attempt,
          status: 503,
          code: 'DINTERO_UNAVAILABLE',
        });
      }
    } finally {
      await sim.control('PUT', '/chaos', {});
    }
    expect(await written()).toBe(before);
    const answer = await send('PUT', '/v1/stores/oslo/terminals/till-3', { deviceSerialNumber: 'SN-300' });
    expect(answer.status).toBe(200);
    expect((await fleet()).terminals.filter((terminal) => terminal.device_serial_number === 'SN-300')).toHaveLength(1);
  });

  it('refuses a device registered under another name, or to another store at Dintero, writing nothing', async () => {
    await send('PUT', '/v1/stores/oslo/terminals/till-4', { deviceSerialNumber: sandboxSerial(4) });
    const before = await written();
    expect(
      await send('PUT', '/v1/stores/oslo/terminals/till-5', { deviceSerialNumber: sandboxSerial(4) }),
    ).toMatchObject({
      status: 422,
      body: { code: 'DINTERO_TERMINAL_TAKEN', terminalId: 'till-4' },
    });
    expect(
      await send('PUT', '/v1/stores/bergen/terminals/till-9', { deviceSerialNumber: sandboxSerial(4) }),
    ).toMatchObject({
      status: 422,
      body: { code: 'DINTERO_TERMINAL_OF_OTHER_STORE', dinteroStoreId: 'oslo' },
    });
    expect(
      await send('PUT', '/v1/stores/bergen/terminals/till-4', { deviceSerialNumber: sandboxSerial(5) }),
    ).toMatchObject({
      status: 422,
      body: { code: 'TERMINAL_OF_OTHER_STORE' },
    });
    expect(
      (await fleet()).terminals.filter((terminal) => terminal.device_serial_number === sandboxSerial(5)),
    ).toHaveLength(0);
    expect(await written()).toBe(before);
  });

  it("imports a store's terminals at Dintero under their Dintero ids, once", async () => {
    await sim.control('POST', '/seed', {
      terminals: [
        { terminal_id: 'T12345678-T0901', store_id: 'bergen' },
        { terminal_id: 'T12345678-T0902', store_id: 'bergen', status: 'INACTIVE' },
      ],
    });
    const first = await send('POST', '/v1/stores/bergen/terminals/import');
    expect(first.status).toBe(200);
    expect(first.body.imported).toEqual([
      expect.objectContaining({
        terminalId: 'T12345678-T0901',
        dintero: expect.objectContaining({ status: 'ACTIVE' }),
      }),
      expect.objectContaining({
        terminalId: 'T12345678-T0902',
        dintero: expect.objectContaining({ status: 'INACTIVE' }),
      }),
    ]);
    const before = await written();
    const again = await send('POST', '/v1/stores/bergen/terminals/import');
    expect(again.body).toMatchObject({
      imported: [],
      skipped: [
        { dinteroTerminalId: 'T12345678-T0901', reason: 'registered already', terminalId: 'T12345678-T0901' },
        { dinteroTerminalId: 'T12345678-T0902', reason: 'registered already', terminalId: 'T12345678-T0902' },
      ],
    });
    expect(await written()).toBe(before);
    expect((await start('T12345678-T0901', 'bergen')).status).toBe(201);
    expect(await start('T12345678-T0902', 'bergen')).toMatchObject({
      status: 422,
      body: { dinteroStatus: 'INACTIVE' },
    });
  });

  it('keeps the device a name has when it is registered again with no device named, after a swap too', async () => {
    expect((await send('PUT', '/v1/stores/stavanger', store)).status).toBe(201);
    await sim.control('POST', '/seed', {
      terminals: [
        { terminal_id: 'T12345678-T0921', store_id: 'stavanger' },
        { terminal_id: 'T12345678-T0922', store_id: 'stavanger' },
      ],
    });
    const name = 'T12345678-T0921';
    expect((await send('PUT', `/v1/stores/stavanger/terminals/${name}`, {})).status).toBe(200);
    const swapped = await send('PUT', `/v1/stores/stavanger/terminals/${name}`, {
      dinteroTerminalId: 'T12345678-T0922',
    });
    expect(terminalOf(swapped.body, name)?.dintero?.terminalId).toBe('T12345678-T0922');
    expect((await send('POST', `/v1/stores/stavanger/terminals/${name}/deactivate`)).status).toBe(200);
    // Taken back into use with no device named: the device it has, not the Dintero terminal its name happens to be.
    const again = await send('PUT', `/v1/stores/stavanger/terminals/${name}`, {});
    expect(again.status).toBe(200);
    expect(terminalOf(again.body, name)).toMatchObject({ active: true, dintero: { terminalId: 'T12345678-T0922' } });
    // A name that is no Dintero id, its device registered by serial: taken back into use the same way.
    expect(
      (await send('PUT', '/v1/stores/stavanger/terminals/till-s1', { deviceSerialNumber: sandboxSerial(21) })).status,
    ).toBe(200);
    expect((await send('POST', '/v1/stores/stavanger/terminals/till-s1/deactivate')).status).toBe(200);
    const reactivated = await send('PUT', '/v1/stores/stavanger/terminals/till-s1', {});
    expect(reactivated.status).toBe(200);
    expect(terminalOf(reactivated.body, 'till-s1')).toMatchObject({ active: true, dintero: { status: 'ACTIVE' } });
  });

  it('refuses another device for a till while it takes a payment, so that its device never prompts under no name', async () => {
    expect(
      (await send('PUT', '/v1/stores/oslo/terminals/till-swap', { deviceSerialNumber: sandboxSerial(31) })).status,
    ).toBe(200);
    const payment = await start('till-swap');
    expect(payment).toMatchObject({ status: 201, body: { status: 'awaiting_card' } });
    const before = await written();
    expect(
      await send('PUT', '/v1/stores/oslo/terminals/till-swap', { deviceSerialNumber: sandboxSerial(32) }),
    ).toMatchObject({
      status: 409,
      body: { code: 'TERMINAL_BUSY', activePaymentId: payment.body.paymentId, activeKind: 'payment' },
    });
    expect(await written()).toBe(before);
    // Its device stays its own: no second name may take it meanwhile.
    expect(
      await send('PUT', '/v1/stores/oslo/terminals/till-other', { deviceSerialNumber: sandboxSerial(31) }),
    ).toMatchObject({
      status: 422,
      body: { code: 'DINTERO_TERMINAL_TAKEN', terminalId: 'till-swap' },
    });
    // The same device again is no swap: accepted while busy.
    expect(
      (await send('PUT', '/v1/stores/oslo/terminals/till-swap', { deviceSerialNumber: sandboxSerial(31) })).status,
    ).toBe(200);
  });

  const sessionDevice = (payment: { body: Record<string, unknown> }) =>
    sim.app.get(SimulatorState).sessions.get(payment.body.sessionId as string)?.order.store.terminal_id;

  it('holds the till while its device is changed: a payment then is refused, and the next goes to the new device', async () => {
    const first = await send('PUT', '/v1/stores/oslo/terminals/till-race', { deviceSerialNumber: sandboxSerial(41) });
    expect(first.status).toBe(200);
    // Dintero has the new device; the store's write is under way when the POS starts a sale.
    // `register` is the registry's own step: reached through its name, as the gate needs.
    const registry: { register: () => Promise<unknown> } = service.app.get<unknown>(RegistryService) as never;
    const writing = gate(registry, 'register', 'before');
    const swap = send('PUT', '/v1/stores/oslo/terminals/till-race', { deviceSerialNumber: sandboxSerial(42) });
    await writing.reached;
    expect(await start('till-race')).toMatchObject({
      status: 409,
      body: { code: 'TERMINAL_BUSY', activeKind: 'device-change' },
    });
    writing.open();
    const swapped = await swap;
    expect(swapped.status).toBe(200);
    const device = terminalOf(swapped.body, 'till-race')?.dintero?.terminalId;
    expect(device).not.toBe(terminalOf(first.body, 'till-race')?.dintero?.terminalId);
    const payment = await start('till-race');
    expect(payment).toMatchObject({ status: 201, body: { status: 'awaiting_card' } });
    expect(sessionDevice(payment)).toBe(device);
  });

  it('takes its own hold again when a device change cut off is sent again, rather than wait for it to lapse', async () => {
    expect(
      (await send('PUT', '/v1/stores/oslo/terminals/till-cut', { deviceSerialNumber: sandboxSerial(45) })).status,
    ).toBe(200);
    await sim.control('POST', '/seed', { terminals: [{ terminal_id: 'T12345678-T0945', store_id: 'oslo' }] });
    // The change's hold taken, and the process gone before the store's write and the hold's end.
    const now = new Date();
    const claimId = deviceChangeClaimId('till-cut', 'T12345678-T0945');
    await handleCommand(
      log,
      terminalStream('till-cut'),
      terminalDecider,
      {
        type: 'ClaimTerminal',
        data: {
          terminalId: 'till-cut',
          claimId,
          kind: 'device-change',
          paymentId: claimId,
          storeId: 'oslo',
          claimedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + 30_000).toISOString(),
        },
      },
      { metadata: { correlationId: 'cut-off' } },
    );
    expect(await start('till-cut')).toMatchObject({ status: 409, body: { activeKind: 'device-change' } });
    // The same change again: done at once, and the till free for a sale on its new device.
    const again = await send('PUT', '/v1/stores/oslo/terminals/till-cut', { dinteroTerminalId: 'T12345678-T0945' });
    expect(again.status).toBe(200);
    const payment = await start('till-cut');
    expect(payment).toMatchObject({ status: 201 });
    expect(sessionDevice(payment)).toBe('T12345678-T0945');
  });

  it('tells a device change refused for another change under way to change its device once free, naming no key', async () => {
    expect(
      (await send('PUT', '/v1/stores/oslo/terminals/till-twice', { deviceSerialNumber: sandboxSerial(51) })).status,
    ).toBe(200);
    await sim.control('POST', '/seed', {
      terminals: [
        { terminal_id: 'T12345678-T0961', store_id: 'oslo' },
        { terminal_id: 'T12345678-T0962', store_id: 'oslo' },
      ],
    });
    // One change's hold taken (its process cut off, say), and another change of the same till sent meanwhile.
    const now = new Date();
    const claimId = deviceChangeClaimId('till-twice', 'T12345678-T0961');
    await handleCommand(
      log,
      terminalStream('till-twice'),
      terminalDecider,
      {
        type: 'ClaimTerminal',
        data: {
          terminalId: 'till-twice',
          claimId,
          kind: 'device-change',
          paymentId: claimId,
          storeId: 'oslo',
          claimedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + 30_000).toISOString(),
        },
      },
      { metadata: { correlationId: 'cut-off' } },
    );
    const other = await send('PUT', '/v1/stores/oslo/terminals/till-twice', { dinteroTerminalId: 'T12345678-T0962' });
    // A registry change has no Idempotency-Key: the refusal says what it may do, once.
    expect(other).toMatchObject({
      status: 409,
      body: {
        code: 'TERMINAL_BUSY',
        activeKind: 'device-change',
        detail: 'Terminal till-twice is busy with a change of its device: change its device once it is free',
      },
    });
  });

  it('holds a till registered before devices were recorded for a change of its device too', async () => {
    // As an earlier version recorded it: the name alone, which is the Dintero terminal its payments go to.
    await sim.control('POST', '/seed', { terminals: [{ terminal_id: 'till-old', store_id: 'oslo' }] });
    await handleCommand(
      log,
      storeStream('oslo'),
      storeDecider,
      { type: 'RegisterTerminal', data: { storeId: 'oslo', terminalId: 'till-old', at: new Date().toISOString() } },
      { metadata: { correlationId: 'legacy' } },
    );
    const payment = await start('till-old');
    expect(payment).toMatchObject({ status: 201 });
    expect(sessionDevice(payment)).toBe('till-old');
    expect(
      await send('PUT', '/v1/stores/oslo/terminals/till-old', { deviceSerialNumber: sandboxSerial(48) }),
    ).toMatchObject({ status: 409, body: { code: 'TERMINAL_BUSY', activeKind: 'payment' } });
  });

  it('asks Dintero nothing, and writes nothing, for a device change refused while the till is busy', async () => {
    expect(
      (await send('PUT', '/v1/stores/oslo/terminals/till-busy', { deviceSerialNumber: sandboxSerial(46) })).status,
    ).toBe(200);
    expect(await start('till-busy')).toMatchObject({ status: 201 });
    const before = await written();
    const enrolled = (await fleet()).terminals.length;
    expect(
      await send('PUT', '/v1/stores/oslo/terminals/till-busy', { deviceSerialNumber: sandboxSerial(47) }),
    ).toMatchObject({
      status: 409,
      body: { code: 'TERMINAL_BUSY', activeKind: 'payment' },
    });
    expect(await written()).toBe(before);
    expect((await fleet()).terminals.length).toBe(enrolled);
  });

  it('sends a sale to the device the till has once it holds it, not the one it looked up before a change', async () => {
    expect(
      (await send('PUT', '/v1/stores/oslo/terminals/till-race2', { deviceSerialNumber: sandboxSerial(43) })).status,
    ).toBe(200);
    // The sale has looked its till's device up, and has not yet taken the till, when the device is changed.
    const looked = gate(service.app.get(UsableTerminals), 'usable', 'after');
    const sale = start('till-race2');
    await looked.reached;
    const swapped = await send('PUT', '/v1/stores/oslo/terminals/till-race2', {
      deviceSerialNumber: sandboxSerial(44),
    });
    expect(swapped.status).toBe(200);
    looked.open();
    const payment = await sale;
    expect(payment).toMatchObject({ status: 201, body: { status: 'awaiting_card' } });
    expect(sessionDevice(payment)).toBe(terminalOf(swapped.body, 'till-race2')?.dintero?.terminalId);
  });

  it('does not bring back as a terminal of its own a device swapped out of a till, until it is registered again', async () => {
    expect((await send('PUT', '/v1/stores/molde', store)).status).toBe(201);
    await sim.control('POST', '/seed', {
      terminals: [
        { terminal_id: 'T12345678-T0931', store_id: 'molde' },
        { terminal_id: 'T12345678-T0932', store_id: 'molde' },
      ],
    });
    expect(
      (await send('PUT', '/v1/stores/molde/terminals/till-m', { dinteroTerminalId: 'T12345678-T0931' })).status,
    ).toBe(200);
    // The till's device broke and was replaced; the broken one is still at Dintero.
    expect(
      (await send('PUT', '/v1/stores/molde/terminals/till-m', { dinteroTerminalId: 'T12345678-T0932' })).status,
    ).toBe(200);
    const before = await written();
    expect(await send('POST', '/v1/stores/molde/terminals/import')).toMatchObject({
      status: 200,
      body: {
        imported: [],
        skipped: [
          {
            dinteroTerminalId: 'T12345678-T0931',
            reason: 'swapped out of till-m: register it under a name with dinteroTerminalId to use it again',
          },
          { dinteroTerminalId: 'T12345678-T0932', reason: 'registered already', terminalId: 'till-m' },
        ],
      },
    });
    expect(await written()).toBe(before);
    // Registered again under a name on purpose: in use, and an import leaves it there.
    expect(
      (await send('PUT', '/v1/stores/molde/terminals/till-n', { dinteroTerminalId: 'T12345678-T0931' })).status,
    ).toBe(200);
    expect((await send('POST', '/v1/stores/molde/terminals/import')).body.skipped).toContainEqual({
      dinteroTerminalId: 'T12345678-T0931',
      reason: 'registered already',
      terminalId: 'till-n',
    });
  });

  it('does not point a till whose device was swapped back at its old device when importing', async () => {
    expect((await send('PUT', '/v1/stores/trondheim', store)).status).toBe(201);
    await sim.control('POST', '/seed', {
      terminals: [
        { terminal_id: 'T12345678-T0911', store_id: 'trondheim' },
        { terminal_id: 'T12345678-T0912', store_id: 'trondheim' },
      ],
    });
    // The till named after its first device now uses the second one; the first is still at Dintero.
    const swapped = await send('PUT', '/v1/stores/trondheim/terminals/T12345678-T0911', {
      dinteroTerminalId: 'T12345678-T0912',
    });
    expect(swapped.status).toBe(200);
    const before = await written();
    const imported = await send('POST', '/v1/stores/trondheim/terminals/import');
    expect(imported).toMatchObject({
      status: 200,
      body: {
        imported: [],
        skipped: [
          {
            dinteroTerminalId: 'T12345678-T0911',
            reason: expect.stringContaining('is the name of another device here (T12345678-T0912)'),
          },
          { dinteroTerminalId: 'T12345678-T0912', reason: 'registered already', terminalId: 'T12345678-T0911' },
        ],
      },
    });
    expect(terminalOf(imported.body.store as Record<string, unknown>, 'T12345678-T0911')?.dintero?.terminalId).toBe(
      'T12345678-T0912',
    );
    expect(await written()).toBe(before);
  });

  it('refuses a store whose payout destination differs at Dintero, writing nothing', async () => {
    await sim.control('POST', '/seed', { stores: [{ id: 'trondheim', payout_destination_id: 'seller-9' }] });
    const before = await written();
    expect(await send('PUT', '/v1/stores/trondheim', store)).toMatchObject({
      status: 422,
      body: { code: 'DINTERO_STORE_DIFFERS', dinteroPayoutDestinationId: 'seller-9' },
    });
    expect(await written()).toBe(before);
  });
});
