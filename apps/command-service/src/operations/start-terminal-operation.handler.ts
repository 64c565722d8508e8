import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, readState, type EventStore } from '@app/event-store';
import {
  DEFAULT_END_OF_DAY_TIME,
  operationDecider,
  operationStream,
  type ExistingOperation,
  type OperationCommand,
  type OperationRequestedData,
  storeDayAt,
} from '@app/payment-domain';
import { startOperation } from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../command-service.config';
import type { IdempotentSteps } from '../idempotency/idempotent-requests.service';
import type { CommandContext } from '../payments/command-context';
import { UsableTerminals } from '../registry/usable-terminals.service';
import type { StartTerminalOperationDto } from './terminal-operation.dto';
import { operationView } from './terminal-operation.view';

export interface PreparedOperation {
  readonly request: Extract<OperationCommand, { type: 'RequestOperation' }>;
  readonly correlationId: string;
}

/** A started operation is being done at the terminal (or its sending is being settled): 202 with its state. */
const accepted = (operation: ExistingOperation) => ({ status: 202, body: operationView(operation) });

/**
 * A terminal operation (`end_of_day`, `send_logs`, `check_update`) for one terminal: check the registry, claim
 * the terminal as a payment does (so that an operation never runs while a payment or refund holds it, nor the
 * reverse), record the request, and send it to Dintero with the operation's id as its `Idempotency-Key`.
 * The ingest service's operations reconciler follows it to its end, sends it again when its sending was
 * cut off or Dintero was busy (`409`, after `Retry-After`), and frees the terminal.
 *
 * Dintero does not say whether an operation may run while a payment prompts on the terminal; the claim
 * makes sure one never does.
 */
@Injectable()
export class StartTerminalOperationHandler {
  private readonly logger = new Logger(StartTerminalOperationHandler.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
    private readonly terminals: UsableTerminals,
  ) {}

  async prepare(
    storeId: string,
    terminalId: string,
    body: StartTerminalOperationDto,
    context: CommandContext,
    operationId: string = randomUUID(),
  ): Promise<PreparedOperation> {
    context.client.assertStore(storeId);
    // A terminal waiting for a check-update (`ACTION_REQUIRED`) takes one: that is how it becomes ACTIVE.
    const alsoAt = body.operation === 'check_update' ? (['ACTION_REQUIRED'] as const) : [];
    // A deactivated terminal's last day is closed by hand: no nightly close closes it.
    const terminal = await this.terminals.usable(
      storeId,
      terminalId,
      context.correlationId,
      alsoAt,
      body.operation === 'end_of_day',
    );
    const { dinteroTerminalId, store } = terminal;
    const requestedAt = new Date();
    // A close by hand is dated as the nightly close dates its own, not by the local day it ran: at 01:00 in a
    // store whose day ends at 02:00, it closes the day before's trading.
    const businessDay =
      body.operation === 'end_of_day'
        ? storeDayAt(requestedAt.toISOString(), store.timeZone, store.endOfDayTime ?? DEFAULT_END_OF_DAY_TIME)
        : undefined;
    const data: OperationRequestedData = {
      operationId,
      storeId,
      terminalId,
      dinteroTerminalId,
      operation: body.operation,
      ...(body.operatorId ? { operatorId: body.operatorId } : {}),
      ...(businessDay ? { businessDay } : {}),
      claimId: operationId,
      requestedBy: context.client.id,
      requestedAt: requestedAt.toISOString(),
      expiresAt: new Date(requestedAt.getTime() + this.config.operationClaimSeconds * 1000).toISOString(),
    };
    const request = { type: 'RequestOperation' as const, data };
    operationDecider.decide(request, operationDecider.initialState);
    return { request, correlationId: context.correlationId };
  }

  steps(
    storeId: string,
    terminalId: string,
    body: StartTerminalOperationDto,
    context: CommandContext,
  ): IdempotentSteps<PreparedOperation> {
    return {
      admit: async () => context.client.assertStore(storeId),
      prepare: (operationId) => this.prepare(storeId, terminalId, body, context, operationId),
      execute: async (prepared) => accepted(await this.execute(prepared)),
      resume: async (operationId) => {
        const { state } = await readState(this.store, operationStream(operationId), operationDecider);
        if (state.status === 'none')
          return accepted(await this.execute(await this.prepare(storeId, terminalId, body, context, operationId)));
        // Recorded: the operations reconciler takes it from here; the answer is the operation as it stands.
        return accepted(state);
      },
    };
  }

  async execute({ request, correlationId }: PreparedOperation): Promise<ExistingOperation> {
    const sent = await startOperation(this.store, this.dintero, request.data, correlationId);
    const { operationId, storeId, terminalId, operation } = request.data;
    this.logger.log(
      { operationId, storeId, terminalId, operation, status: sent.status, correlationId },
      'terminal operation started',
    );
    return sent;
  }
}
