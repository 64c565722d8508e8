import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DinteroApiError } from '../api/dintero-api.error';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { SimulatorClock } from '../state/clock';
import { SimulatorState, type SimStore, type SimTerminal, type TerminalStatus } from '../state/simulator-state';

/** What Dintero's management API shows of a terminal (§10): the record without the simulator's own fields. */
export interface TerminalRecord {
  readonly id: string;
  readonly terminal_id: string;
  readonly device_serial_number: string;
  readonly device_model?: string;
  readonly store_id: string;
  readonly status: TerminalStatus;
  readonly status_reason?: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly store?: { readonly id: string; readonly store_name?: string };
}

/** What Dintero's management API shows of a store (§10). */
export interface StoreRecord {
  readonly id: string;
  readonly store_id: string;
  readonly store_name?: string;
  readonly organization?: { readonly organization_number: string };
  readonly payout_destination: { readonly payout_destination_id: string };
  readonly created_at: string;
  readonly number_of_terminals: number;
}

/**
 * Stores and terminals as Dintero's management API keeps them (§10). A terminal registered with a sandbox
 * serial `SIMULATED-{aid}-NNN` is `ACTIVE` at once, as at Dintero (§9). Any other serial is `PENDING` while
 * it is provisioned (`SIM_TERMINAL_PROVISIONING_MS`), then `ACTIVE`; one whose serial starts with
 * `CHECK-UPDATE-` ends provisioning in `ACTION_REQUIRED` (`CHECK_UPDATE`) and stays there until a
 * `check_update` operation runs on it or `/_control` says otherwise. Provisioning is settled whenever the
 * terminal is looked at, so there is no timer to leak.
 */
@Injectable()
export class TerminalFleetService {
  private terminalNumber = 0;
  private storeNumber = 0;

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly clock: SimulatorClock,
  ) {}

  reset(): void {
    this.terminalNumber = 0;
    this.storeNumber = 0;
  }

  createStore(request: {
    store_id: string;
    store_name?: string;
    organization_number?: string;
    payout_destination_id: string;
  }): StoreRecord {
    if (this.state.stores.has(request.store_id))
      throw new DinteroApiError(409, 'STORE_ALREADY_EXISTS', `Store ${request.store_id} already exists`);
    if (!this.state.payoutDestinations.has(request.payout_destination_id)) {
      throw new DinteroApiError(
        400,
        'PAYOUT_DESTINATION_NOT_FOUND',
        `Payout destination ${request.payout_destination_id} does not exist (it is onboarded in Backoffice)`,
      );
    }
    const store: SimStore = {
      id: request.store_id,
      payout_destination_id: request.payout_destination_id,
      ...(request.store_name ? { name: request.store_name } : {}),
      ...(request.organization_number ? { organization_number: request.organization_number } : {}),
      dintero_id: this.nextStoreId(),
      created_at: this.clock.stamp(),
    };
    this.state.stores.set(store.id, store);
    this.state.touch('stores', store.id);
    return this.storeRecord(store);
  }

  store(storeId: string): StoreRecord {
    const store = this.state.stores.get(storeId);
    if (!store) throw new DinteroApiError(404, 'NOT_FOUND', `Store ${storeId} not found`);
    return this.storeRecord(store);
  }

  stores(): StoreRecord[] {
    return [...this.state.stores.values()].map((store) => this.storeRecord(store));
  }

  registerTerminal(request: { store_id: string; device_serial_number: string }): TerminalRecord {
    if (!this.state.stores.has(request.store_id))
      throw new DinteroApiError(404, 'NOT_FOUND', `Store ${request.store_id} not found`);
    const taken = [...this.state.terminals.values()].find(
      (terminal) => terminal.device_serial_number === request.device_serial_number && terminal.status !== 'DELETED',
    );
    if (taken) {
      throw new DinteroApiError(
        409,
        'TERMINAL_ALREADY_EXISTS',
        `A terminal with serial ${request.device_serial_number} is registered already (${taken.terminal_id})`,
      );
    }
    const sandbox = request.device_serial_number.startsWith(`SIMULATED-${this.config.accountId}-`);
    const at = this.clock.stamp();
    const terminal: SimTerminal = {
      terminal_id: this.nextTerminalId(),
      id: randomUUID(),
      store_id: request.store_id,
      device_serial_number: request.device_serial_number,
      device_model: deviceModelOf(request.device_serial_number),
      created_at: at,
      updated_at: at,
      ...(sandbox
        ? { status: 'ACTIVE' as const }
        : {
            status: 'PENDING' as const,
            provisionedAt: Date.now() + this.config.terminalProvisioningMs,
            provisionsTo: request.device_serial_number.startsWith('CHECK-UPDATE-')
              ? ('ACTION_REQUIRED' as const)
              : ('ACTIVE' as const),
          }),
    };
    this.state.terminals.set(terminal.terminal_id, terminal);
    this.state.touch('terminals', terminal.terminal_id);
    return this.terminalRecord(terminal);
  }

  /** The terminal with its provisioning settled: what a session, a refund or the management API sees. */
  find(terminalId: string): SimTerminal | undefined {
    const terminal = this.state.terminals.get(terminalId);
    if (
      terminal?.status === 'PENDING' &&
      terminal.provisionedAt !== undefined &&
      terminal.provisionedAt <= Date.now()
    ) {
      terminal.status = terminal.provisionsTo ?? 'ACTIVE';
      if (terminal.status === 'ACTION_REQUIRED') terminal.status_reason = 'CHECK_UPDATE';
      terminal.provisionedAt = undefined;
      terminal.updated_at = this.clock.stamp();
      // Settled on a read too: written with the next write (a restart settles it again from provisionedAt meanwhile).
      this.state.touch('terminals', terminalId);
    }
    return terminal;
  }

  terminal(terminalId: string, withStore = false): TerminalRecord {
    const terminal = this.find(terminalId);
    if (!terminal) throw new DinteroApiError(404, 'NOT_FOUND', `Terminal ${terminalId} not found`);
    return this.terminalRecord(terminal, withStore);
  }

  terminals(withStore = false): TerminalRecord[] {
    return [...this.state.terminals.keys()].map((terminalId) => this.terminal(terminalId, withStore));
  }

  /** Holds the terminal in a status (a `/_control` knob): provisioning stops, the status stays until changed. */
  hold(terminalId: string, status: TerminalStatus, reason?: string): TerminalRecord {
    const terminal = this.find(terminalId);
    if (!terminal) throw new DinteroApiError(404, 'NOT_FOUND', `Terminal ${terminalId} not found`);
    terminal.status = status;
    terminal.status_reason =
      status === 'ACTION_REQUIRED' ? (reason ?? 'CHECK_UPDATE') : status === 'ERROR' ? reason : undefined;
    terminal.provisionedAt = undefined;
    terminal.updated_at = this.clock.stamp();
    this.state.touch('terminals', terminalId);
    return this.terminalRecord(terminal);
  }

  /** A check-update reached the terminal: one that waited for it is `ACTIVE` now. */
  checkedUpdate(terminalId: string): void {
    const terminal = this.find(terminalId);
    if (terminal?.status !== 'ACTION_REQUIRED') return;
    terminal.status = 'ACTIVE';
    terminal.status_reason = undefined;
    terminal.updated_at = this.clock.stamp();
    this.state.touch('terminals', terminalId);
  }

  private terminalRecord(terminal: SimTerminal, withStore = false): TerminalRecord {
    const store = this.state.stores.get(terminal.store_id);
    return {
      id: terminal.id ?? terminal.terminal_id,
      terminal_id: terminal.terminal_id,
      // A terminal seeded through `/_control` (no registration) has its id for a serial.
      device_serial_number: terminal.device_serial_number ?? terminal.terminal_id,
      ...(terminal.device_model ? { device_model: terminal.device_model } : {}),
      store_id: terminal.store_id,
      status: terminal.status,
      ...(terminal.status_reason ? { status_reason: terminal.status_reason } : {}),
      created_at: terminal.created_at ?? this.clock.stamp(),
      updated_at: terminal.updated_at ?? terminal.created_at ?? this.clock.stamp(),
      ...(withStore ? { store: { id: terminal.store_id, ...(store?.name ? { store_name: store.name } : {}) } } : {}),
    };
  }

  private storeRecord(store: SimStore): StoreRecord {
    let terminals = 0;
    for (const terminal of this.state.terminals.values())
      if (terminal.store_id === store.id && terminal.status !== 'DELETED') terminals++;
    return {
      id: store.dintero_id ?? store.id,
      store_id: store.id,
      ...(store.name ? { store_name: store.name } : {}),
      ...(store.organization_number ? { organization: { organization_number: store.organization_number } } : {}),
      payout_destination: { payout_destination_id: store.payout_destination_id },
      created_at: store.created_at ?? this.clock.stamp(),
      number_of_terminals: terminals,
    };
  }

  /** `{aid}-T0001` and on, as Dintero numbers an account's terminals, skipping ids a seed took. */
  private nextTerminalId(): string {
    let id: string;
    do id = `${this.config.accountId}-T${String(++this.terminalNumber).padStart(4, '0')}`;
    while (this.state.terminals.has(id));
    return id;
  }

  private nextStoreId(): string {
    return `${this.config.accountId}-${String(++this.storeNumber).padStart(4, '0')}`;
  }
}

/**
 * The model of a device, as Dintero resolves it from its serial number and the makers' data. The simulator's
 * makers number devices by model: a serial starting `S1F4` is a `Saturn_S1F4_Pro`, `S1P2` an `S1P2`, any other a
 * `SATURN1000`.
 */
export function deviceModelOf(serial: string): string {
  if (serial.startsWith('S1F4')) return 'Saturn_S1F4_Pro';
  if (serial.startsWith('S1P2')) return 'S1P2';
  return 'SATURN1000';
}
