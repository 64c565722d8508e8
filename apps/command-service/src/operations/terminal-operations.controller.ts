import {
  Body,
  Controller,
  UseInterceptors,
  Get,
  Headers,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { IdempotencyKeyInterceptor } from '../idempotency/idempotency-key.interceptor';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblems, ENGINE_STARTING_DOC } from '@app/platform';
import { Pos, PosAuthGuard } from '../auth/pos-auth.guard';
import type { PosClient } from '../auth/pos-client';
import { IdempotentRequests } from '../idempotency/idempotent-requests.service';
import { GetPaymentQuery } from '../payments/get/get-payment.query';
import { uuidParam } from '../payments/uuid-param';
import { SubjectTokenPipe } from '../registry/subject-token.pipe';
import { StoreOperationsView, TerminalOperations } from './terminal-operations.service';
import { StartTerminalOperationDto } from './terminal-operation.dto';
import { TerminalOperationView } from './terminal-operation.view';
import { OutcomeReader } from '../payments/get/outcome-reader.service';
import { hangUp } from '../payments/hang-up';

/** Terminal operations for one terminal or a whole store, and their outcome. */
@ApiTags('terminal operations')
@ApiBearerAuth()
@ApiProblems({
  400: 'VALIDATION_FAILED: an unknown operation, a bad body, id or Idempotency-Key; nothing written',
  401: 'UNAUTHENTICATED',
  403: 'STORE_NOT_ALLOWED: the key may not act for the store it names',
  404: 'UNKNOWN_STORE, UNKNOWN_TERMINAL, UNKNOWN_OPERATION (also an operation of a store the key may not use)',
  409: 'TERMINAL_BUSY (a payment, refund, operation or device change holds the terminal), IDEMPOTENT_REQUEST_IN_PROGRESS, CONCURRENT_UPDATE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not application/json',
  422: 'TERMINAL_INACTIVE, TERMINAL_NOT_ACTIVE_AT_DINTERO (names dinteroStatus), IDEMPOTENCY_KEY_REUSED',
  429: 'RATE_LIMITED: more requests a minute than the key may make; retry after the time named',
  500: "EVENT_STORE_ACCESS_DENIED (the engine's log credentials), INTERNAL_ERROR",
  503: `EVENT_STORE_UNAVAILABLE: the log did not take or did not answer; retry with the same Idempotency-Key; ${ENGINE_STARTING_DOC}`,
})
@UseGuards(PosAuthGuard)
@Controller('v1')
export class TerminalOperationsController {
  constructor(
    private readonly operations: TerminalOperations,
    private readonly idempotency: IdempotentRequests,
    private readonly reader: OutcomeReader,
  ) {}

  /**
   * Runs an operation on one terminal: `202` once it is recorded and sent to Dintero; follow it with
   * `GET /v1/terminal-operations/{operationId}?waitFor=final`.
   */
  @UseInterceptors(IdempotencyKeyInterceptor)
  @Post('stores/:storeId/terminals/:terminalId/operations')
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'The same key and body: the first answer' })
  @ApiAcceptedResponse({ type: TerminalOperationView })
  async startOne(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Param('terminalId', SubjectTokenPipe) terminalId: string,
    @Body() body: StartTerminalOperationDto,
    @Headers('idempotency-key') key: string | undefined,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const context = { correlationId: String(request.id), client };
    return this.idempotency.overHttp(
      { request, reply },
      client.id,
      key,
      { asTaken: { storeId, terminalId, ...body } },
      this.operations.steps(storeId, terminalId, body, context),
    );
  }

  /**
   * Runs an operation on every active terminal of the store: `202` with each terminal's answer (its
   * operation, or why it could not start, e.g. `TERMINAL_BUSY`). The same key again gives the same answers, but
   * for a terminal that was busy: its operation is tried again.
   */
  @UseInterceptors(IdempotencyKeyInterceptor)
  @Post('stores/:storeId/operations')
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiAcceptedResponse({ type: StoreOperationsView })
  async startStore(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Body() body: StartTerminalOperationDto,
    @Headers('idempotency-key') key: string | undefined,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StoreOperationsView> {
    const context = { correlationId: String(request.id), client };
    void reply.status(202);
    return this.operations.startStore(storeId, body, key, context, request.url);
  }

  /** The operation; `?waitFor=final&timeout=30` holds the answer until it is final or the timeout runs out. */
  @Get('terminal-operations/:operationId')
  @ApiOkResponse({ type: TerminalOperationView })
  get(
    @Param('operationId', uuidParam('operationId')) operationId: string,
    @Query() query: GetPaymentQuery,
    @Pos() client: PosClient,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TerminalOperationView> {
    return this.reader.operation(operationId, query, client, hangUp(reply));
  }
}
