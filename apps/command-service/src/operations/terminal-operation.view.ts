import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OPERATION_STATUSES, operationFinished, type ExistingOperation } from '@app/payment-domain';

export class EndOfDayBatchView {
  @ApiPropertyOptional() batchId?: string;
  @ApiPropertyOptional() startOfDayAt?: string;
  @ApiPropertyOptional() lastEndOfDayAt?: string;
  @ApiPropertyOptional({ type: 'integer' }) purchasesCount?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Minor units' }) purchasesAmount?: number;
  @ApiPropertyOptional({ type: 'integer' }) reversalsCount?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Minor units' }) reversalsAmount?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Minor units' }) saleAmount?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Minor units' }) tipAmount?: number;
  @ApiPropertyOptional({ example: 'accepted' }) outcome?: string;
}

/** A terminal operation as the POS sees it. */
export class TerminalOperationView {
  @ApiProperty() operationId!: string;
  @ApiProperty() storeId!: string;
  @ApiProperty() terminalId!: string;
  @ApiProperty({ enum: ['end_of_day', 'send_logs', 'check_update'] }) operation!: string;
  @ApiProperty({
    enum: OPERATION_STATUSES,
    description:
      '`pending`: the terminal is doing it; `deferred`: Dintero was busy with another operation, sent again at `retryAt`; ' +
      '`completed`, `failed` (the terminal said so), `timed_out` (it did not answer in time), `rejected` (Dintero refused it), ' +
      '`expired` (never dispatched before its hold on the terminal ran out)',
  })
  status!: string;
  @ApiProperty({ description: 'The status will not change any more' }) final!: boolean;
  @ApiPropertyOptional() dinteroOperationId?: string;
  @ApiPropertyOptional() retryAt?: string;
  @ApiPropertyOptional({ type: EndOfDayBatchView, description: "With a completed end_of_day: the terminal's batch" })
  batch?: EndOfDayBatchView;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional({ description: 'The store day an end-of-day close closes (YYYY-MM-DD)' }) businessDay?: string;
  @ApiProperty() requestedAt!: string;
  @ApiPropertyOptional() endedAt?: string;
}

export function operationView(operation: ExistingOperation): TerminalOperationView {
  return {
    operationId: operation.operationId,
    storeId: operation.storeId,
    terminalId: operation.terminalId,
    operation: operation.operation,
    status: operation.status,
    final: operationFinished(operation),
    ...(operation.dinteroOperationId ? { dinteroOperationId: operation.dinteroOperationId } : {}),
    ...(operation.status === 'deferred' && operation.retryAt ? { retryAt: operation.retryAt } : {}),
    ...(operation.batch ? { batch: operation.batch } : {}),
    ...(operation.reason ? { reason: operation.reason } : {}),
    ...(operation.businessDay ? { businessDay: operation.businessDay } : {}),
    requestedAt: operation.requestedAt,
    ...(operation.endedAt ? { endedAt: operation.endedAt } : {}),
  };
}
