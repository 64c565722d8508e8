import { HttpException, Inject, Injectable } from '@nestjs/common';
import {
  DINTERO_CLIENT,
  DinteroRejectedError,
  DinteroUnavailableError,
  type DinteroClient,
  type DinteroTerminal,
} from '@app/dintero';
import {
  DomainError,
  requireDinteroStatus,
  requireEnrollment,
  type StoreDetails,
  type TerminalEnrollment,
} from '@app/payment-domain';
import { DinteroUnreachable } from '../dintero-unreachable';

/** Dintero refused, or what it has disagrees with the request: nothing was recorded. */
export class DinteroOnboardingRefused extends HttpException {
  constructor(code: string, detail: string, extensions: Record<string, unknown> = {}) {
    super({ code, detail, ...extensions }, 422);
  }
}

/**
 * Stores and terminals at Dintero (its management API), so that a chain registers them once, here. Every
 * step is safe to repeat: what may already exist at Dintero is looked up before it is created (Dintero
 * documents no idempotency key for these calls), so a registration whose answer was lost is finished by
 * sending it again.
 */
/** Whether the client asking may see a store: its id, and what is at it. */
type StoresSeen = (storeId: string) => boolean;

@Injectable()
export class DinteroOnboarding {
  constructor(@Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient) {}

  /** The store at Dintero, created when Dintero has none; its Dintero id. */
  async store(details: Pick<StoreDetails, 'storeId' | 'name' | 'payoutDestinationId'>, organizationNumber?: string) {
    const what = `registering store ${details.storeId}`;
    let found = await this.asking(what, () => this.dintero.getStore(details.storeId));
    if (!found) {
      found = await this.asking(what, async () => {
        try {
          return await this.dintero.createStore({ ...details, ...(organizationNumber ? { organizationNumber } : {}) });
        } catch (error) {
          // Created meanwhile (a concurrent registration, or a first answer lost): Dintero has it now.
          if (error instanceof DinteroRejectedError && error.status === 409)
            return this.dintero.getStore(details.storeId);
          throw error;
        }
      });
    }
    if (!found) throw new DinteroUnreachable(what, 'the store was neither found nor created');
    const payout = found.payout_destination?.payout_destination_id;
    if (payout !== undefined && payout !== details.payoutDestinationId) {
      throw new DinteroOnboardingRefused(
        'DINTERO_STORE_DIFFERS',
        `Store ${details.storeId} pays out to ${payout} at Dintero, not ${details.payoutDestinationId}: change it in Dintero's Backoffice first, or register the store with ${payout}`,
        { storeId: details.storeId, dinteroPayoutDestinationId: payout },
      );
    }
    return found.id;
  }

  /**
   * The device at Dintero by its serial number, registered to the store when Dintero has none. Dintero resolves
   * its model from the serial: a `deviceModel` given is checked against it, so that a mistyped serial of another
   * model is not recorded under this name. Dintero knows the model only once the device is registered, so a new
   * serial is registered to the store at Dintero first (Dintero's API has no call to take that back; the device
   * then shows in the store's import, `importTerminals`).
   */
  async device(
    storeId: string,
    deviceSerialNumber: string,
    deviceModel?: string,
    mayUse: StoresSeen = () => true,
  ): Promise<TerminalEnrollment> {
    const what = `registering the terminal with serial ${deviceSerialNumber}`;
    const lookUp = () => this.bySerial(deviceSerialNumber);
    let found = await this.asking(what, lookUp);
    if (!found) {
      found = await this.asking(what, async () => {
        try {
          const registered = await this.dintero.registerTerminal({ storeId, deviceSerialNumber });
          return await this.completed(registered, storeId);
        } catch (error) {
          if (error instanceof DinteroRejectedError && error.status === 409) return lookUp();
          throw error;
        }
      });
    }
    if (!found) throw new DinteroUnreachable(what, 'the terminal was neither found nor registered');
    const enrollment = this.ofStore(storeId, found, mayUse);
    if (deviceModel !== undefined && enrollment.deviceModel !== undefined && enrollment.deviceModel !== deviceModel) {
      throw new DinteroOnboardingRefused(
        'DINTERO_TERMINAL_DIFFERS',
        `The device with serial ${deviceSerialNumber} is a ${enrollment.deviceModel} at Dintero, not a ${deviceModel}: check the serial number, or leave deviceModel out`,
        { storeId, dinteroTerminalId: found.terminal_id, dinteroDeviceModel: enrollment.deviceModel },
      );
    }
    return enrollment;
  }

  /** A terminal Dintero has already (registered in its Backoffice, say), by its Dintero id. */
  async existing(
    storeId: string,
    dinteroTerminalId: string,
    mayUse: StoresSeen = () => true,
  ): Promise<TerminalEnrollment> {
    const found = await this.asking(`looking up terminal ${dinteroTerminalId}`, () =>
      this.dintero.getTerminal(dinteroTerminalId),
    );
    if (!found || found.status === 'DELETED') {
      throw new DinteroOnboardingRefused(
        'DINTERO_TERMINAL_NOT_FOUND',
        `Dintero has no terminal ${dinteroTerminalId}: register the device with its deviceSerialNumber (and deviceModel), and the engine registers it at Dintero`,
        { storeId, dinteroTerminalId },
      );
    }
    return this.ofStore(storeId, found, mayUse);
  }

  /** The store's terminals at Dintero that are not deleted. */
  async storeTerminals(storeId: string): Promise<TerminalEnrollment[]> {
    const all = await this.asking(`listing the terminals of store ${storeId}`, () =>
      this.dintero.listTerminals({ storeId }),
    );
    return all
      .filter((terminal) => terminal.store_id === storeId && terminal.status !== 'DELETED')
      .map((terminal) => enrollmentOf(terminal));
  }

  /**
   * The answer to a registration as the engine records it. Dintero's specification requires only `terminal_id` and
   * `device_serial_number` of it, and its example answer has no `status`: what it leaves out is read back, and the
   * store is the one it was registered to.
   */
  private async completed(registered: DinteroTerminal, storeId: string): Promise<DinteroTerminal> {
    if (registered.status !== undefined && registered.store_id !== undefined) return registered;
    const read = (await this.dintero.getTerminal(registered.terminal_id)) ?? registered;
    return { ...read, store_id: read.store_id ?? storeId };
  }

  private async bySerial(deviceSerialNumber: string): Promise<DinteroTerminal | undefined> {
    const terminals = await this.dintero.listTerminals({ deviceSerialNumber });
    return terminals.find(
      (terminal) => terminal.device_serial_number === deviceSerialNumber && terminal.status !== 'DELETED',
    );
  }

  /**
   * The terminal's enrollment, when Dintero has it in the store. One of another store is refused, naming that store
   * and the device's serial only to a client that may use that store: no word of another chain's stores otherwise.
   */
  private ofStore(storeId: string, terminal: DinteroTerminal, mayUse: StoresSeen): TerminalEnrollment {
    if (terminal.store_id !== storeId) {
      const { terminal_id: dinteroTerminalId, store_id: dinteroStoreId } = terminal;
      if (dinteroStoreId === undefined || !mayUse(dinteroStoreId))
        throw new DinteroOnboardingRefused(
          'DINTERO_TERMINAL_OF_OTHER_STORE',
          `Terminal ${dinteroTerminalId} belongs to another store at Dintero`,
          { storeId, dinteroTerminalId },
        );
      throw new DinteroOnboardingRefused(
        'DINTERO_TERMINAL_OF_OTHER_STORE',
        `Terminal ${dinteroTerminalId} (serial ${terminal.device_serial_number}) belongs to store ${dinteroStoreId} at Dintero`,
        { storeId, dinteroTerminalId, dinteroStoreId },
      );
    }
    return enrollmentOf(terminal);
  }

  private async asking<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DinteroUnavailableError) throw new DinteroUnreachable(what, error.message);
      if (error instanceof DinteroRejectedError) {
        throw new DinteroOnboardingRefused('DINTERO_REJECTED', `Dintero refused ${what}: ${error.code}`, {
          dinteroCode: error.code,
          dinteroStatus: error.status,
        });
      }
      throw error;
    }
  }
}

/** Dintero answered with what the engine cannot record (a status it does not know, an overlong serial). */
export class DinteroUnexpectedAnswer extends HttpException {
  constructor(detail: string) {
    super({ code: 'DINTERO_UNEXPECTED_ANSWER', detail: `${detail}. Nothing was recorded` }, 502);
  }
}

export function enrollmentOf(terminal: DinteroTerminal): TerminalEnrollment {
  if (terminal.status === undefined)
    throw new DinteroUnexpectedAnswer(`Dintero's terminal ${terminal.terminal_id} came without a status`);
  try {
    return requireEnrollment({
      dinteroTerminalId: terminal.terminal_id,
      deviceSerialNumber: terminal.device_serial_number,
      ...(terminal.device_model ? { deviceModel: terminal.device_model } : {}),
      status: requireDinteroStatus(terminal.status),
      ...(terminal.status_reason ? { statusReason: terminal.status_reason } : {}),
    });
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    throw new DinteroUnexpectedAnswer(`Dintero's terminal ${terminal.terminal_id}: ${error.message}`);
  }
}
