import { Transform, Type } from 'class-transformer';
import { IsObject, IsUUID, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { StartTerminalOperationDto } from '../operations/terminal-operation.dto';
import { RefundTerminalPaymentDto } from '../payments/refund/refund-terminal-payment.dto';
import { ResolveReviewDto } from '../payments/review/resolve-review.dto';
import { StartTerminalPaymentDto } from '../payments/start/start-terminal-payment.dto';
import { ListPaymentsQuery } from '../payments/list/list-payments.query';
import { GetPaymentQuery } from '../payments/get/get-payment.query';
import { IsNameToken, IsRequired } from '@app/platform';
import { applyDecorators } from '@nestjs/common';
import { IDEMPOTENCY_KEY } from '../idempotency/idempotent-requests.service';

/** A command's `idempotencyKey`, checked as the HTTP header is, and named as the message names it. */
const IsIdempotencyKey = (): PropertyDecorator =>
  applyDecorators(
    IsRequired(),
    Matches(IDEMPOTENCY_KEY, { message: '$property must be 1-255 visible ASCII characters' }),
  );

/**
 * An id the engine issued (a UUID), as the log keeps it: lower case. A UUID is case-insensitive on input (RFC 4122),
 * and a POS may keep it in capitals (a GUID type); the payment it names is the same.
 */
const IsIssuedId = (): PropertyDecorator =>
  applyDecorators(
    IsRequired(),
    IsUUID(),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value)),
  );

/** `payments.v1.cmd.start`: the HTTP body under `payment`, the `Idempotency-Key` header as `idempotencyKey`. */
export class StartCommandMessage {
  @IsIdempotencyKey()
  idempotencyKey!: string;

  // An object, not an array: class-validator takes an array of nested values, even an empty one, as valid.
  @IsObject()
  @ValidateNested()
  @Type(() => StartTerminalPaymentDto)
  payment!: StartTerminalPaymentDto;
}

/** `payments.v1.cmd.cancel`. */
export class CancelCommandMessage {
  @IsIssuedId()
  paymentId!: string;
}

/** `payments.v1.cmd.refund`: the HTTP body under `refund`. */
export class RefundCommandMessage {
  @IsIssuedId()
  paymentId!: string;

  @IsIdempotencyKey()
  idempotencyKey!: string;

  // An object, not an array: class-validator takes an array of nested values, even an empty one, as valid.
  @IsObject()
  @ValidateNested()
  @Type(() => RefundTerminalPaymentDto)
  refund!: RefundTerminalPaymentDto;
}

/**
 * `payments.v1.cmd.resolve-review`: the HTTP body under `resolution`, for the payment's own review, or for its refund's
 * when `refundId` is given (the two HTTP routes, one subject: the same right, body and answer).
 */
export class ResolveReviewCommandMessage {
  @IsIssuedId()
  paymentId!: string;

  // Absent for the payment's own review; `null` is neither, and refused (`IsOptional` would let it through).
  @ValidateIf((message: ResolveReviewCommandMessage) => message.refundId !== undefined)
  @IsIssuedId()
  refundId?: string;

  // An object, not an array: class-validator takes an array of nested values, even an empty one, as valid.
  @IsObject()
  @ValidateNested()
  @Type(() => ResolveReviewDto)
  resolution!: ResolveReviewDto;
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
  @IsIssuedId()
  paymentId!: string;
}

/** `payments.v1.query.refund`: one refund of a payment, as `payments.v1.query.payment` with its `refundId`. */
export class GetRefundMessage extends GetPaymentMessage {
  @IsIssuedId()
  refundId!: string;
}

/** `payments.v1.query.operation`: one terminal operation, as `payments.v1.query.payment` with its `operationId`. */
export class GetOperationMessage extends GetPaymentQuery {
  @IsIssuedId()
  operationId!: string;
}

/**
 * `payments.v1.cmd.operate`: a terminal operation, the HTTP body under `operation`, for `terminalId`, or for
 * every active terminal of `storeId` when it is left out (the reply's body is then the store-wide answer).
 */
export class OperateCommandMessage {
  @IsIdempotencyKey()
  idempotencyKey!: string;

  @IsNameToken()
  storeId!: string;

  // Absent for every active terminal of the store; `null` is neither, and refused (`IsOptional` would let it through).
  @ValidateIf((message: OperateCommandMessage) => message.terminalId !== undefined)
  @IsNameToken()
  terminalId?: string;

  // An object, not an array: class-validator takes an array of nested values, even an empty one, as valid.
  @IsObject()
  @ValidateNested()
  @Type(() => StartTerminalOperationDto)
  operation!: StartTerminalOperationDto;
}
