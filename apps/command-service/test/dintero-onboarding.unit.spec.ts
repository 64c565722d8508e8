import type { DinteroClient, DinteroTerminal } from '@app/dintero';
import { DinteroOnboarding } from '../src/registry/dintero-onboarding.service';

/**
 * A registration answered as Dintero's specification allows: only `terminal_id` and `device_serial_number` are
 * required of a terminal, and its example answer has no `status`. The simulator always sends every field, so these
 * answers are given here by a stand-in of the client's three calls.
 */
describe('registering a device at Dintero, answered with only what the specification requires', () => {
  const answered = { terminal_id: 'T12345678-T0042', device_serial_number: 'SN-42' } as DinteroTerminal;
  const onboarding = (read: Partial<DinteroTerminal> | undefined) => {
    const reads: string[] = [];
    const client = {
      listTerminals: () => Promise.resolve([]),
      registerTerminal: () => Promise.resolve(answered),
      getTerminal: (terminalId: string) => {
        reads.push(terminalId);
        return Promise.resolve(read && { ...answered, ...read });
      },
    };
    return { service: new DinteroOnboarding(client as unknown as DinteroClient), reads };
  };

  it('reads the terminal back for its status, and takes the store it was registered to', async () => {
    const { service, reads } = onboarding({ status: 'PENDING' });
    await expect(service.device('oslo', 'SN-42')).resolves.toEqual({
      dinteroTerminalId: 'T12345678-T0042',
      deviceSerialNumber: 'SN-42',
      status: 'PENDING',
    });
    expect(reads).toEqual(['T12345678-T0042']);
  });

  it('still refuses a terminal of another store when the read names one', async () => {
    const { service } = onboarding({ status: 'ACTIVE', store_id: 'bergen' });
    await expect(service.device('oslo', 'SN-42')).rejects.toMatchObject({
      response: { code: 'DINTERO_TERMINAL_OF_OTHER_STORE' },
    });
  });

  it('names the other store and the serial only to a client that may use that store', async () => {
    const { service } = onboarding({ status: 'ACTIVE', store_id: 'bergen' });
    const refusal = async (mayUse: (storeId: string) => boolean) =>
      JSON.stringify(
        await service
          .existing('oslo', 'T12345678-T0042', mayUse)
          .catch((error: { getResponse(): unknown }) => error.getResponse()),
      );
    const toOsloOnly = await refusal((storeId) => storeId === 'oslo');
    expect(toOsloOnly).toContain('DINTERO_TERMINAL_OF_OTHER_STORE');
    expect(toOsloOnly).not.toMatch(/bergen|SN-42/);
    expect(await refusal(() => true)).toMatch(
      /"dinteroStoreId":"bergen".*serial SN-42|serial SN-42.*"dinteroStoreId":"bergen"/,
    );
  });

  it('answers 502 (DINTERO_UNEXPECTED_ANSWER) when Dintero will not say the status at all', async () => {
    const { service } = onboarding({});
    await expect(service.device('oslo', 'SN-42')).rejects.toMatchObject({
      status: 502,
      response: { code: 'DINTERO_UNEXPECTED_ANSWER' },
    });
  });
});
