import { Injectable, Logger } from '@nestjs/common';
import type { RecordedEvent } from '@app/event-store';
import { recordDinteroTerminalStatus } from '@app/platform';
import { FollowedTerminals, type FollowedTerminal } from './followed-terminals';
import { LeasedLogDependencies, LeasedLogService } from './leased-log-worker';

const CORRELATION_ID = 'terminal-status';

/**
 * Follows the status at Dintero of every registered terminal that is not `ACTIVE` yet (a device being
 * provisioned, one waiting for a check-update, one made inactive) and records each change on its store's
 * stream, until the terminal is `ACTIVE` or `DELETED`. It asks Dintero about a terminal at most every
 * `TERMINAL_STATUS_POLL_SECONDS`, and about at most `TERMINAL_STATUS_MAX_PER_SECOND` terminals a second.
 * With several ingest instances, the one holding a terminal's lease (the reconciler's lease bucket) asks.
 */
@Injectable()
export class TerminalStatusFollower extends LeasedLogService {
  private readonly followed = new FollowedTerminals();

  constructor(dependencies: LeasedLogDependencies) {
    super(
      {
        name: 'terminal-status',
        streamPrefixes: ['store-'],
        intervalMs: 1_000,
        natsPrefix: dependencies.config.natsPrefix,
        natsReplicas: dependencies.config.natsReplicas,
        leaseMs: dependencies.config.terminalStatusPollSeconds * 1000,
      },
      dependencies,
      new Logger(TerminalStatusFollower.name),
    );
  }

  protected get enabled(): boolean {
    return this.config.reconcilerEnabled;
  }

  protected onEvent(event: RecordedEvent): void {
    this.followed.apply(event, Date.now());
  }

  protected async tick(): Promise<void> {
    const now = Date.now();
    const due = this.followed.takeDue(
      now,
      this.config.terminalStatusMaxPerSecond,
      now + this.config.terminalStatusPollSeconds * 1000,
    );
    for (const terminal of due) {
      if (this.worker.isStopped) return;
      if (await this.worker.mayTake(`terminal-status.${terminal.storeId}.${terminal.terminalId}`))
        await this.ask(terminal);
    }
  }

  private async ask({ storeId, terminalId, dinteroTerminalId }: FollowedTerminal): Promise<void> {
    const log = { storeId, terminalId, dinteroTerminalId, correlationId: CORRELATION_ID };
    try {
      const terminal = { storeId, terminalId, dinteroTerminalId };
      const { status, changed } = await recordDinteroTerminalStatus(this.store, this.dintero, terminal, CORRELATION_ID);
      if (changed) this.logger.log({ ...log, status }, 'terminal status at Dintero changed');
    } catch (error) {
      this.logger.warn({ ...log, err: error }, 'could not follow the terminal status at Dintero; trying again later');
    }
  }
}
