import { Type } from 'class-transformer';
import { IsObject, IsString, IsUUID, ValidateNested } from 'class-validator';
import { RefundTerminalPaymentDto } from '../payments/refund/refund-terminal-payment.dto';
import { StartTerminalPaymentDto } from '../payments/start/start-terminal-payment.dto';
import { ListPaymentsQuery } from '../payments/list/list-payments.query';

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
