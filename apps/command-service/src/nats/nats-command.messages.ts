import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, IsUUID, ValidateNested } from 'class-validator';
import { StartTerminalOperationDto } from '../operations/terminal-operation.dto';
import { RefundTerminalPaymentDto } from '../payments/refund/refund-terminal-payment.dto';
import { StartTerminalPaymentDto } from '../payments/start/start-terminal-payment.dto';
import { ListPaymentsQuery } from '../payments/list/list-payments.query';
import { GetPaymentQuery } from '../payments/get/get-payment.query';
import { IsNameToken } from '@app/platform';

/** `payments.v1.cmd.start`: the HTTP body under `payment`, the `Idempotency-Key` header as `idempotencyKey`. */
export class StartCommandMessage {
  @IsString()
  idempotencyKey!: string;

  // An object, not an array: class-validator takes an array of nested values, even an empty one, as valid.
  @IsObject()
  @ValidateNested()
  @Type(() => StartTerminalPaymentDto)
  payment!: StartTerminalPaymentDto;
}

/** `payments.v1.cmd.cancel`. */
export class CancelCommandMessage {
  @IsUUID()
  paymentId!: string;
}

/** `payments.v1.cmd.refund`: the HTTP body under `refund`. */
export class RefundCommandMessage {
  @IsUUID()
  paymentId!: string;

  @IsString()
  idempotencyKey!: string;

  // An object, not an array: class-validator takes an array of nested values, even an empty one, as valid.
  @IsObject()
  @ValidateNested()
  @Type(() => RefundTerminalPaymentDto)
  refund!: RefundTerminalPaymentDto;
}

/** `payments.v1.query.payments`: the HTTP query's parameters under `query`. */
export class ListPaymentsMessage {
  // An object, not an array: class-validator takes an array of nested values, even an empty one, as valid.
  @IsObject()
  @ValidateNested()
  @Type(() => ListPaymentsQuery)
  query!: ListPaymentsQuery;
}

/**
 * `payments.v1.query.payment`: one payment, the HTTP path's `paymentId` and its query's `waitFor` and `timeout`
 * side by side. A caller that waits (`waitFor: 'final'`) gives its NATS request a longer timeout than `timeout`.
 */
export class GetPaymentMessage extends GetPaymentQuery {
  @IsUUID()
  paymentId!: string;
}

/** `payments.v1.query.refund`: one refund of a payment, as `payments.v1.query.payment` with its `refundId`. */
export class GetRefundMessage extends GetPaymentMessage {
  @IsUUID()
  refundId!: string;
}

/** `payments.v1.query.operation`: one terminal operation, as `payments.v1.query.payment` with its `operationId`. */
export class GetOperationMessage extends GetPaymentQuery {
  @IsUUID()
  operationId!: string;
}

/**
 * `payments.v1.cmd.operate`: a terminal operation, the HTTP body under `operation`, for `terminalId`, or for
 * every active terminal of `storeId` when it is left out (the reply's body is then the store-wide answer).
 */
export class OperateCommandMessage {
  @IsString()
  idempotencyKey!: string;

  @IsNameToken()
  storeId!: string;

  @IsOptional()
  @IsNameToken()
  terminalId?: string;

  // An object, not an array: class-validator takes an array of nested values, even an empty one, as valid.
  @IsObject()
  @ValidateNested()
  @Type(() => StartTerminalOperationDto)
  operation!: StartTerminalOperationDto;
}
