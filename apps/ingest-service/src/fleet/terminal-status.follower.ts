import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, type EventStore, type LogFollower } from '@app/event-store';
import { NATS_CONNECTION } from '@app/messaging';
import { LOG_SUBSCRIPTIONS, recordDinteroTerminalStatus, type LogSubscriptions } from '@app/platform';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';
import { SettleLeases } from '../reconciler/settle-leases';
import { FollowedTerminals, type FollowedTerminal } from './followed-terminals';

const CORRELATION_ID = 'terminal-status';

/**
 * Follows the status at Dintero of every registered terminal that is not `ACTIVE` yet (a device being
 * provisioned, one waiting for a check-update, one made inactive) and records each change on its store's
 * stream, until the terminal is `ACTIVE` or `DELETED`. It asks Dintero about a terminal at most every
 * `TERMINAL_STATUS_POLL_SECONDS`, and about at most `TERMINAL_STATUS_MAX_PER_SECOND` terminals a second.
 * With several ingest instances, the one holding a terminal's lease (the reconciler's lease bucket) asks.
 */
@Injectable()
export class TerminalStatusFollower implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TerminalStatusFollower.name);
  private readonly followed = new FollowedTerminals();
  private follower: LogFollower | undefined;
  private leases: SettleLeases | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(LOG_SUBSCRIPTIONS) private readonly subscriptions: LogSubscriptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.reconcilerEnabled) return;
    this.leases = await SettleLeases.open(
      this.nats,
      this.config.natsPrefix,
      this.config.terminalStatusPollSeconds * 1000,
      (message, error) => this.logger.warn({ err: error }, message),
    ).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'no leases for terminal statuses (NATS): every instance asks Dintero');
      return undefined;
    });
    this.follower = this.subscriptions.follower('terminal-status', this.store, {
      streamPrefixes: ['store-'],
      onEvent: (event) => this.followed.apply(event, Date.now()),
    });
    this.follower.start(0n);
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.follower?.stop();
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule());
    }, 1_000);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const due = this.followed.takeDue(
      now,
      this.config.terminalStatusMaxPerSecond,
      now + this.config.terminalStatusPollSeconds * 1000,
    );
    for (const terminal of due) {
      if (this.stopped) return;
      if (!(await this.mayAsk(terminal))) continue;
      await this.ask(terminal);
    }
  }

  private async mayAsk({ storeId, terminalId }: FollowedTerminal): Promise<boolean> {
    try {
      return (await this.leases?.take(`terminal-status.${storeId}.${terminalId}`)) ?? true;
    } catch (error) {
      this.logger.warn({ err: error, storeId, terminalId }, 'could not take the terminal-status lease: asking anyway');
      return true;
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
