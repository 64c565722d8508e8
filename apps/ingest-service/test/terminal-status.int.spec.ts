import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import { storeStream } from '@app/payment-domain';
import { recordDinteroTerminalStatus } from '@app/platform';
import { SimulatorState } from '../../dintero-simulator/src/state/simulator-state';
import { startEngine, type Engine } from '../../../test/support/engine';
import { waitUntil } from '../../../test/support/app-process';

/** The ingest service follows a terminal's status at Dintero until it is ACTIVE, recording each change. */
describe('ingest: following terminal statuses at Dintero', () => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await startEngine({
      sim: { SIM_TERMINAL_PROVISIONING_MS: '300' },
      ingest: { TERMINAL_STATUS_POLL_SECONDS: '1' },
    });
    await engine.sim.control('POST', '/seed', { payoutDestinations: ['seller-1'] });
    const put = async (route: string, body: unknown) => {
      const answer = await engine.command.fetch(route, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (answer.status >= 300) throw new Error(`${route}: ${answer.status} ${await answer.text()}`);
    };
    await put('/v1/stores/oslo', { name: 'Oslo', payoutDestinationId: 'seller-1', timeZone: 'Europe/Oslo' });
    await put('/v1/stores/oslo/terminals/till-1', { deviceSerialNumber: 'SN-1' });
    await put('/v1/stores/oslo/terminals/till-2', { deviceSerialNumber: 'CHECK-UPDATE-2' });
  });
  afterAll(() => engine.close());

  const statuses = async (terminalId: string) =>
    (await engine.log.readStream(storeStream('oslo')))
      .filter((event) => (event.data as { terminalId?: string }).terminalId === terminalId)
      .flatMap((event) =>
        event.type === 'TerminalEnrolled' || event.type === 'TerminalStatusChanged'
          ? [(event.data as { status: string }).status]
          : [],
      );

  it('records PENDING, then ACTIVE once Dintero has provisioned the device, once', async () => {
    await waitUntil(async () => (await statuses('till-1')).includes('ACTIVE'), 15_000, 'till-1 ACTIVE in the log');
    expect(await statuses('till-1')).toEqual(['PENDING', 'ACTIVE']);
  });

  it('records ACTION_REQUIRED and keeps following until the terminal is ACTIVE', async () => {
    await waitUntil(
      async () => (await statuses('till-2')).includes('ACTION_REQUIRED'),
      15_000,
      'till-2 ACTION_REQUIRED in the log',
    );
    const { terminal_id } = (
      await engine.sim.control<{ terminals: { terminal_id: string; device_serial_number: string }[] }>(
        'GET',
        '/ground-truth/fleet',
      )
    ).terminals.find((terminal) => terminal.device_serial_number === 'CHECK-UPDATE-2')!;
    await engine.sim.control('PUT', `/terminals/${terminal_id}`, { status: 'ACTIVE' });
    await waitUntil(async () => (await statuses('till-2')).includes('ACTIVE'), 15_000, 'till-2 ACTIVE in the log');
    expect(await statuses('till-2')).toEqual(['PENDING', 'ACTION_REQUIRED', 'ACTIVE']);
  });

  it('leaves the status recorded as it is when Dintero shows the terminal without one (it is optional there)', async () => {
    await waitUntil(async () => (await statuses('till-1')).includes('ACTIVE'), 15_000, 'till-1 ACTIVE in the log');
    const { terminal_id } = (
      await engine.sim.control<{ terminals: { terminal_id: string; device_serial_number: string }[] }>(
        'GET',
        '/ground-truth/fleet',
      )
    ).terminals.find((terminal) => terminal.device_serial_number === 'SN-1')!;
    const atDintero = engine.sim.app.get(SimulatorState).terminals.get(terminal_id) as { status?: string };
    const status = atDintero.status;
    delete atDintero.status;
    try {
      const before = await statuses('till-1');
      await expect(
        recordDinteroTerminalStatus(
          engine.log,
          engine.ingest.app.get<DinteroClient>(DINTERO_CLIENT),
          { storeId: 'oslo', terminalId: 'till-1', dinteroTerminalId: terminal_id },
          'terminal-status-test',
        ),
      ).rejects.toThrow('without a status');
      expect(await statuses('till-1')).toEqual(before);
    } finally {
      atDintero.status = status;
    }
  });
});
