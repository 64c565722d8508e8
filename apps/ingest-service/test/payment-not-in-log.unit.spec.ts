import { DomainError } from '@app/payment-domain';
import { isPaymentNotInLog } from '../src/payment-not-in-log.error';

describe('isPaymentNotInLog: recording failed for a payment the log does not have', () => {
  it.each([
    ['the domain’s PAYMENT_NOT_FOUND', new DomainError('PAYMENT_NOT_FOUND', 'No such payment'), true],
    ['another domain error', new DomainError('TERMINAL_BUSY', 'busy'), false],
    ['an error of another kind with that code', Object.assign(new Error('x'), { code: 'PAYMENT_NOT_FOUND' }), false],
    ['not an error', 'PAYMENT_NOT_FOUND', false],
  ])('%s', (_what, error, expected) => {
    expect(isPaymentNotInLog(error)).toBe(expected);
  });
});
