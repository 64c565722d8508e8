/**
 * The only things the domain throws: a command that breaks a rule. Each code is stable and mapped
 * once to an HTTP status and an RPC answer at the rim (Problem Details `code`).
 */
export type DomainErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNKNOWN_STORE'
  | 'UNKNOWN_TERMINAL'
  | 'TERMINAL_INACTIVE'
  | 'TERMINAL_NOT_ACTIVE_AT_DINTERO'
  | 'DINTERO_TERMINAL_TAKEN'
  | 'TERMINAL_OF_OTHER_STORE'
  | 'REFUND_TERMINAL_OTHER_PAYOUT_DESTINATION'
  | 'TERMINAL_BUSY'
  | 'TERMINAL_DEVICE_CHANGED'
  | 'PAYMENT_NOT_FOUND'
  | 'PAYMENT_EXISTS'
  | 'PAYMENT_FINISHED'
  | 'NOT_REFUNDABLE'
  | 'REFUND_EXCEEDS_CAPTURED'
  | 'UNKNOWN_REFUND'
  | 'UNKNOWN_OPERATION'
  | 'NOT_VOIDABLE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'CURRENCY_NOT_ACCEPTED'
  | 'TRANSACTION_IN_OTHER_CURRENCY'
  | 'NOT_UNDER_REVIEW'
  | 'REVIEW_CHANGED';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
