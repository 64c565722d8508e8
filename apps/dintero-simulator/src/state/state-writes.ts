import { Inject, Injectable, Logger } from '@nestjs/common';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { CoalescedWrites } from './coalesced-writes';
import { writeFileDurably, writeFileDurablyAsync } from './durable-file';
import {
  SimulatorState,
  type SimOperation,
  type SimSession,
  type SimStore,
  type SimTerminal,
  type SimTransaction,
} from './simulator-state';

export const STATE_VERSION = 1;

/** What the file holds: each map of `SimulatorState` as a list. */
export interface SavedState {
  readonly version: typeof STATE_VERSION;
  readonly savedAt: string;
  readonly payoutDestinations: readonly string[];
  readonly stores: readonly SimStore[];
  readonly terminals: readonly SimTerminal[];
  readonly sessions: readonly SimSession[];
  readonly transactions: readonly SimTransaction[];
  readonly operations: readonly SimOperation[];
  readonly operationKeys: readonly (readonly [string, string])[];
}

/**
 * Writes the simulator's state to SIM_STATE_FILE after each change, so that a simulator killed (SIGKILL, the
 * machine's crash) starts again from what it had answered: a change answered to a client (`saved`, awaited before
 * the answer) or reported by a callback or webhook is in the file first. Writes are coalesced: one at a time, the
 * next one taking every change made meanwhile, so a burst of requests costs a few writes, not one each.
 */
@Injectable()
export class SimulatorStateWrites {
  private readonly logger = new Logger(SimulatorStateWrites.name);
  private readonly writes = new CoalescedWrites(() => writeFileDurablyAsync(this.config.stateFile, this.text()));
  private stopped = false;

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
  ) {}

  /** Resolves once the state as it is now is in the file; at once without a file. */
  saved(): Promise<void> {
    if (!this.config.stateFile) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error('the simulator has stopped: its state file is written no more'));
    return this.writes.request();
  }

  /** A change no request waits for (a terminal's timer): written soon, a failure logged. */
  changed(): void {
    this.saved().catch((error: unknown) =>
      this.logger.error({ file: this.config.stateFile, err: error }, 'could not write the state file'),
    );
  }

  /**
   * At the stop: once the writes under way are done, the state written one last time, before the process ends
   * (synchronously: nothing runs after the last shutdown hook that would wait for it).
   */
  async final(): Promise<void> {
    if (!this.config.stateFile) return;
    this.stopped = true;
    await this.writes.idle();
    // A stop cut short (SIGKILL mid-write, the machine's crash) leaves the last whole state, never half of one.
    writeFileDurably(this.config.stateFile, this.text());
  }

  private text(): string {
    const { state } = this;
    const saved: SavedState = {
      version: STATE_VERSION,
      savedAt: new Date().toISOString(),
      payoutDestinations: [...state.payoutDestinations],
      stores: [...state.stores.values()],
      terminals: [...state.terminals.values()],
      sessions: [...state.sessions.values()],
      transactions: [...state.transactions.values()],
      operations: [...state.operations.values()],
      operationKeys: [...state.operationKeys],
    };
    return JSON.stringify(saved);
  }
}
