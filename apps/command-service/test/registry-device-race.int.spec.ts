import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readState, SqliteEventStore } from '@app/event-store';
import { storeDecider, storeStream, type TerminalEnrollment } from '@app/payment-domain';
import { claimTerminal } from '@app/platform';
import type { DinteroOnboarding } from '../src/registry/dintero-onboarding.service';
import { RegistryService, type RegistryContext } from '../src/registry/registry.service';

const dir = mkdtempSync(path.join(tmpdir(), 'registry-device-race-'));
const log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
afterAll(async () => {
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

const device = (id: string): TerminalEnrollment => ({
  dinteroTerminalId: id,
  deviceSerialNumber: `SN-${id}`,
  status: 'ACTIVE',
});
const context: RegistryContext = { correlationId: 'device-race', posClientId: 'hq', mayUse: () => true };

/**
 * A PUT of a terminal decides on the store as it read it before asking Dintero, which may take a while. A device
 * change made meanwhile, under which a payment now runs, is not undone by it: the PUT is refused.
 */
describe('a terminal PUT racing a device change', () => {
  it('is refused with TERMINAL_DEVICE_CHANGED rather than put back the device it read, under a running payment', async () => {
    let whileDinteroIsAsked: () => Promise<void> = async () => undefined;
    const dintero = {
      store: async () => 'DS-1',
      existing: async (_storeId: string, id: string) => {
        await whileDinteroIsAsked();
        return device(id);
      },
      device: async (_storeId: string, serial: string) => device(serial.replace('SN-', '')),
    } as unknown as DinteroOnboarding;
    const registry = new RegistryService(log, dintero);
    await registry.putStore('oslo', { name: 'Oslo', payoutDestinationId: 'seller', timeZone: 'Europe/Oslo' }, context);
    await registry.putTerminal('oslo', 'till-1', { dinteroTerminalId: 'D1' }, context);
    whileDinteroIsAsked = async () => {
      whileDinteroIsAsked = async () => undefined;
      // Meanwhile the till is swapped to D2, and a payment starts on it.
      await registry.putTerminal('oslo', 'till-1', { deviceSerialNumber: 'SN-D2' }, context);
      const at = new Date();
      await claimTerminal(
        log,
        {
          terminalId: 'till-1',
          claimId: 'pay-1',
          kind: 'payment',
          paymentId: 'pay-1',
          storeId: 'oslo',
          claimedAt: at.toISOString(),
          expiresAt: new Date(at.getTime() + 120_000).toISOString(),
        },
        { correlationId: 'pay' },
      );
    };
    // A PUT with no device named (a reactivation), which read the store when it had D1.
    await expect(registry.putTerminal('oslo', 'till-1', {}, context)).rejects.toMatchObject({
      code: 'TERMINAL_DEVICE_CHANGED',
    });
    const { state } = await readState(log, storeStream('oslo'), storeDecider);
    expect(state.status === 'registered' && state.terminals['till-1']?.dintero?.dinteroTerminalId).toBe('D2');
    // Sent again, it sees D2, and changes nothing.
    await registry.putTerminal('oslo', 'till-1', {}, context);
    const again = (await readState(log, storeStream('oslo'), storeDecider)).state;
    expect(again.status === 'registered' && again.terminals['till-1']?.dintero?.dinteroTerminalId).toBe('D2');
  });
});
