import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { DomainError } from '@app/payment-domain';
import { ProblemDetailsFilter, RequestValidationError } from '@app/platform';
import {
  IDEMPOTENCY_KEY_REFUSED,
  IdempotentRequests,
  isIdempotencyKey,
} from '../idempotency/idempotent-requests.service';
import type { CommandContext } from '../payments/command-context';
import { busyAsSeenBy } from '../payments/visible-holder';
import { RegistryService } from '../registry/registry.service';
import { StartTerminalOperationHandler } from './start-terminal-operation.handler';
import type { StartTerminalOperationDto } from './terminal-operation.dto';

export class TerminalOperationAnswer {
  @ApiProperty() terminalId!: string;
  @ApiProperty({ type: 'integer', description: "202 with the terminal's operation, or the refusal's status" })
  status!: number;
  @ApiPropertyOptional({ description: 'The operation, or the Problem Details of the refusal' }) body?: unknown;
}

export class StoreOperationsView {
  @ApiProperty() storeId!: string;
  @ApiProperty({ type: [TerminalOperationAnswer] }) operations!: TerminalOperationAnswer[];
}

/** Operations for one terminal, or for each active terminal of a store, each at most once per key. */
@Injectable()
export class TerminalOperations {
  private readonly problems = new ProblemDetailsFilter();

  constructor(
    private readonly handler: StartTerminalOperationHandler,
    private readonly idempotency: IdempotentRequests,
    private readonly registry: RegistryService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  steps(storeId: string, terminalId: string, body: StartTerminalOperationDto, context: CommandContext) {
    return this.handler.steps(storeId, terminalId, body, context);
  }

  /**
   * One operation per active terminal of the store, each under a key of its own made from the request's key
   * and the terminal, so that the same request again answers each terminal as the first time did; a terminal
   * that was busy then (`TERMINAL_BUSY`) is tried again.
   */
  async startStore(
    storeId: string,
    body: StartTerminalOperationDto,
    key: string | undefined,
    context: CommandContext,
    instance: string,
  ): Promise<StoreOperationsView> {
    if (!isIdempotencyKey(key)) throw new RequestValidationError([IDEMPOTENCY_KEY_REFUSED]);
    context.client.assertStore(storeId);
    const store = await this.registry.registeredStore(storeId);
    const terminals = Object.entries(store.terminals)
      .filter(([, terminal]) => terminal.active)
      .map(([terminalId]) => terminalId)
      .sort();
    const operations: TerminalOperationAnswer[] = [];
    for (const terminalId of terminals) {
      try {
        const answer = await this.idempotency.run(
          context.client.id,
          terminalKey(key, terminalId),
          { asTaken: { storeId, terminalId, ...body } },
          { correlationId: context.correlationId, instance },
          this.handler.steps(storeId, terminalId, body, context),
        );
        operations.push({ terminalId, status: answer.status, body: answer.body });
      } catch (error) {
        // One terminal refused before anything was written (not ACTIVE at Dintero, say): the others go on, and
        // the answer says why this one did not. A failure of the engine itself fails the request.
        if (!(error instanceof DomainError)) throw error;
        const problem = this.problems.toProblem(await busyAsSeenBy(error, this.store, context.client), instance);
        operations.push({ terminalId, status: problem.status, body: problem });
      }
    }
    return { storeId, operations };
  }
}

/** A terminal's own key within a store-wide request: the same for the same request, within the key's limits. */
function terminalKey(key: string, terminalId: string): string {
  return `store-op-${createHash('sha256').update(`${key}\n${terminalId}`).digest('hex')}`;
}
