import { Body, Controller, Get, Headers, Post, Query, Res, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiChaosInterceptor, BearerTokenGuard, dinteroValidation } from '../api/api-guards';
import { ApiDinteroErrors } from '../api/dintero-api.error';
import { ListOperationsQuery, SendOperationDto } from './management.dto';
import { TerminalOperationsService } from './terminal-operations.service';

/**
 * Dintero's terminal operations (§10) on the checkout host: `POST` answers at once with the operation
 * `PENDING` (201; 200 for the same `Idempotency-Key` again), `GET` lists them as a bare array.
 */
@ApiTags('dintero checkout api')
@ApiDinteroErrors({
  400: 'A body Dintero would refuse, or a terminal that is not ACTIVE',
  401: 'No bearer token, or not one the simulator issued',
  404: 'No such terminal',
  409: 'An operation is pending on the terminal, or a payment or refund holds it (Retry-After)',
  422: 'The Idempotency-Key was sent before with another terminal or operation',
  429: 'Chaos: rate limited (Retry-After)',
  503: 'Chaos: unavailable; or the state file cannot be written (SIM_STATE_FILE)',
})
@Controller('v1/admin/terminals/operations')
@UseGuards(BearerTokenGuard)
@UseInterceptors(ApiChaosInterceptor)
@UsePipes(dinteroValidation)
export class OperationsController {
  constructor(private readonly operations: TerminalOperationsService) {}

  @Post()
  send(
    @Body() body: SendOperationDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { operation, created } = this.operations.send(body, idempotencyKey);
    void reply.status(created ? 201 : 200);
    return operation;
  }

  @Get()
  list(@Query() query: ListOperationsQuery) {
    return this.operations.list(query);
  }
}
