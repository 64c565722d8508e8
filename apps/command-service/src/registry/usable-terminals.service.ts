import { Inject, Injectable, Logger } from '@nestjs/common';
import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, readState, type EventStore } from '@app/event-store';
import {
  DomainError,
  ownEntry,
  storeDecider,
  storeStream,
  usableTerminal,
  type DinteroTerminalStatus,
  type StoreState,
  type UsableTerminal,
} from '@app/payment-domain';
import { recordDinteroTerminalStatus } from '@app/platform';

/**
 * Whether a payment or refund may use a terminal, by the registry: registered to the store, not deactivated,
 * and `ACTIVE` at Dintero. When the log has the terminal in another status at Dintero, Dintero is asked once
 * more before the request is refused: a terminal that became `ACTIVE` since the status was last followed
 * takes its first payment at once, and the change is recorded.
 */
@Injectable()
export class UsableTerminals {
  private readonly logger = new Logger(UsableTerminals.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
  ) {}

  async usable(
    storeId: string,
    terminalId: string,
    correlationId?: string,
    alsoAt: readonly DinteroTerminalStatus[] = [],
    deactivatedToo = false,
  ): Promise<UsableTerminal> {
    const { state } = await readState(this.store, storeStream(storeId), storeDecider);
    try {
      return usableTerminal(state, storeId, terminalId, alsoAt, deactivatedToo);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'TERMINAL_NOT_ACTIVE_AT_DINTERO') throw error;
      const refreshed = await this.refreshed(state, storeId, terminalId, correlationId);
      if (!refreshed) throw error;
      return usableTerminal(refreshed, storeId, terminalId, alsoAt, deactivatedToo);
    }
  }

  /**
   * Dintero refused a session or a refund on the terminal: it may have stopped being `ACTIVE` there (made
   * inactive in Backoffice) while the log still has it so. Its status now is recorded, so that the next
   * request is refused before Dintero is asked, and the status follower follows it until it is back.
   */
  async refresh(storeId: string, terminalId: string, correlationId?: string): Promise<void> {
    const { state } = await readState(this.store, storeStream(storeId), storeDecider);
    await this.refreshed(state, storeId, terminalId, correlationId);
  }

  /** The store after recording the terminal's status Dintero gives now; undefined when Dintero cannot say. */
  private async refreshed(
    state: StoreState,
    storeId: string,
    terminalId: string,
    correlationId = 'terminal-status',
  ): Promise<StoreState | undefined> {
    const enrollment = state.status === 'registered' ? ownEntry(state.terminals, terminalId)?.dintero : undefined;
    if (!enrollment) return undefined;
    const log = { storeId, terminalId, dinteroTerminalId: enrollment.dinteroTerminalId, correlationId };
    try {
      const terminal = { storeId, terminalId, dinteroTerminalId: enrollment.dinteroTerminalId };
      const {
        state: recorded,
        status,
        changed,
      } = await recordDinteroTerminalStatus(this.store, this.dintero, terminal, correlationId);
      if (changed) this.logger.log({ ...log, status }, 'terminal status at Dintero changed');
      return recorded;
    } catch (error) {
      // Dintero cannot say now: the request is refused on the status the log has.
      this.logger.warn({ ...log, reason: (error as Error).message }, 'could not refresh the terminal status');
      return undefined;
    }
  }
}
