import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DinteroApiError } from '../api/dintero-api.error';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { DeliveryService } from '../delivery/delivery.service';
import { SimulatorClock } from '../state/clock';
import { SimulatorRandom } from '../state/random';
import { SimulatorStateWrites } from '../state/state-writes';
import { SimulatorState, type OperationStatus, type SimOperation, type SimTerminal } from '../state/simulator-state';
import { closeBatch } from './terminal-batch';
import { TerminalFleetService } from './terminal-fleet.service';

/** Seconds a caller is told to wait while an operation is pending on the terminal (Dintero's `Retry-After`). */
const RETRY_AFTER_SECONDS = 2;

/**
 * Terminal operations as Dintero runs them (§10): dispatched at once (`PENDING`), answered by the terminal
 * after `SIM_OPERATION_DELAY_MS`: `COMPLETED`, or `FAILED` or `TIMEOUT` by the terminal's knob or by chaos
 * (`operationFailRate`, `operationTimeoutRate`). One at a time per terminal: another meanwhile is `409` with
 * `Retry-After`. The same `Idempotency-Key` gives the same operation. A completed `end_of_day` reports the
 * terminal's batch (what it approved since its last close, plus the terminal's `batch-skew` knob) and opens a
 * new one; a completed `check_update` makes a terminal waiting for it (`ACTION_REQUIRED`) `ACTIVE`.
 *
 * Dintero does not say whether an operation may run while a payment prompts on the terminal: the simulator
 * answers `409 TERMINAL_BUSY`, as for a second payment, and a payment on a terminal with a pending operation
 * the same.
 */
@Injectable()
export class TerminalOperationsService implements OnApplicationShutdown {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly fleet: TerminalFleetService,
    private readonly delivery: DeliveryService,
    private readonly random: SimulatorRandom,
    private readonly clock: SimulatorClock,
    private readonly writes: SimulatorStateWrites,
  ) {}

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** The operation, new or the one sent before with this key; `created` says which. */
  send(
    request: { terminal_id: string; operation: SimOperation['operation']; parameters?: { operator_id?: string } },
    idempotencyKey: string | undefined,
  ): { operation: SimOperation; created: boolean } {
    const earlierId = idempotencyKey === undefined ? undefined : this.state.operationKeys.get(idempotencyKey);
    const earlier = earlierId === undefined ? undefined : this.state.operations.get(earlierId);
    if (earlier) {
      if (earlier.terminal_id !== request.terminal_id || earlier.operation !== request.operation)
        throw new DinteroApiError(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          `Idempotency-Key ${idempotencyKey} was sent with ${earlier.operation} on ${earlier.terminal_id}`,
        );
      return { operation: earlier, created: false };
    }
    const terminal = this.fleet.find(request.terminal_id);
    if (!terminal || terminal.status === 'DELETED')
      throw new DinteroApiError(404, 'NOT_FOUND', `Terminal ${request.terminal_id} not found`);
    const waitsForUpdate = terminal.status === 'ACTION_REQUIRED' && request.operation === 'check_update';
    if (terminal.status !== 'ACTIVE' && !waitsForUpdate)
      throw new DinteroApiError(400, 'TERMINAL_NOT_ACTIVE', `Terminal ${terminal.terminal_id} is ${terminal.status}`);
    if (terminal.pendingOperationId !== undefined)
      throw this.busy(terminal, `operation ${terminal.pendingOperationId} is pending on it`);
    if (terminal.activeSessionId || terminal.activeRefund) throw this.busy(terminal, 'a payment or refund holds it');
    const at = this.clock.stamp();
    const operation: SimOperation = {
      id: randomUUID(),
      terminal_id: terminal.terminal_id,
      operation: request.operation,
      status: 'PENDING',
      account_id: this.config.accountId,
      created_at: at,
      created_by: this.config.clientId,
      updated_at: at,
      updated_by: this.config.clientId,
      ...(request.parameters ? { parameters: request.parameters } : {}),
    };
    this.state.operations.set(operation.id, operation);
    if (idempotencyKey !== undefined) this.state.operationKeys.set(idempotencyKey, operation.id);
    terminal.pendingOperationId = operation.id;
    this.state.touch('operations', operation.id);
    this.state.touch('operationKeys', idempotencyKey);
    this.state.touch('terminals', terminal.terminal_id);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.answer(operation, terminal);
      this.writes.changed();
    }, this.config.operationDelayMs);
    this.timers.add(timer);
    return { operation, created: true };
  }

  list(filter: { terminal_id?: string; operation_id?: string }): SimOperation[] {
    return [...this.state.operations.values()]
      .filter(
        (operation) =>
          (filter.terminal_id === undefined || operation.terminal_id === filter.terminal_id) &&
          (filter.operation_id === undefined || operation.id === filter.operation_id),
      )
      .reverse();
  }

  private answer(operation: SimOperation, terminal: SimTerminal): void {
    if (this.state.operations.get(operation.id) !== operation) return; // reset meanwhile
    if (terminal.pendingOperationId === operation.id) terminal.pendingOperationId = undefined;
    // The terminal too: its pending operation, its knobs (`operationOutcomes`), its batch on a close.
    this.state.touch('operations', operation.id);
    this.state.touch('terminals', terminal.terminal_id);
    const status = this.outcome(terminal);
    const at = this.clock.stamp();
    operation.status = status;
    operation.updated_at = at;
    operation.updated_by = 'terminal';
    if (status !== 'COMPLETED') return;
    if (operation.operation === 'end_of_day') operation.result = closeBatch(terminal, at);
    else {
      if (operation.operation === 'check_update') this.fleet.checkedUpdate(terminal.terminal_id);
      operation.result = { outcome: 'accepted' };
    }
  }

  /** The terminal's knob first, then chaos, else the terminal completes it. */
  private outcome(terminal: SimTerminal): OperationStatus {
    const told = terminal.operationOutcomes?.shift();
    if (told) return told;
    const chaos = this.delivery.terminalChaos.get(terminal.terminal_id) ?? this.delivery.chaos;
    if (this.random.chance(chaos.operationFailRate)) return 'FAILED';
    if (this.random.chance(chaos.operationTimeoutRate)) return 'TIMEOUT';
    return 'COMPLETED';
  }

  private busy(terminal: SimTerminal, why: string): DinteroApiError {
    return new DinteroApiError(409, 'TERMINAL_BUSY', `Terminal ${terminal.terminal_id} is busy: ${why}`, undefined, {
      'retry-after': String(RETRY_AFTER_SECONDS),
    });
  }
}
