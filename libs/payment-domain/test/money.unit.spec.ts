import { MAX_AMOUNT, isCurrencyCode, moneyProblem } from '@app/payment-domain';

describe('money', () => {
  it.each([
    [39_900, 'NOK'],
    [0, 'SEK'],
    [MAX_AMOUNT, 'EUR'],
    [1, 'JPY'],
  ])('accepts %p %s', (amount, currency) => {
    expect(moneyProblem(amount, currency)).toBeUndefined();
  });

  it.each([
    [399.5, 'NOK', 'AMOUNT_NOT_AN_INTEGER'],
    ['39900', 'NOK', 'AMOUNT_NOT_AN_INTEGER'],
    [Number.NaN, 'NOK', 'AMOUNT_NOT_AN_INTEGER'],
    [2 ** 53, 'NOK', 'AMOUNT_NOT_AN_INTEGER'],
    [-1, 'NOK', 'AMOUNT_NEGATIVE'],
    [MAX_AMOUNT + 1, 'NOK', 'AMOUNT_TOO_LARGE'],
    [100, 'nok', 'UNKNOWN_CURRENCY'],
    [100, 'XYZ', 'UNKNOWN_CURRENCY'],
    [100, undefined, 'UNKNOWN_CURRENCY'],
  ])('refuses %p %p as %s', (amount, currency, problem) => {
    expect(moneyProblem(amount, currency)).toBe(problem);
  });

  it('knows ISO 4217 codes only', () => {
    expect(['NOK', 'SEK', 'DKK', 'EUR', 'USD'].every(isCurrencyCode)).toBe(true);
    expect(['NO', 'NOKK', 'BTC', 42].some(isCurrencyCode)).toBe(false);
  });

  it('knows the codes ISO 4217 added lately, and not those it withdrew or that name no money in minor units', () => {
    // XCG (2025), ZWG (2024), VED (2021); Node's ICU table had no VED, validator.js's no XCG or ZWG.
    expect(['XCG', 'ZWG', 'VED', 'SLE', 'MRU', 'STN'].filter((code) => !isCurrencyCode(code))).toEqual([]);
    // HRK and CUC withdrawn (ICU still has them); gold, the SDR, the test code and "no currency" have no minor unit.
    expect(['HRK', 'CUC', 'XAU', 'XDR', 'XTS', 'XXX'].filter(isCurrencyCode)).toEqual([]);
  });
});
