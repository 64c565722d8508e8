export { MAX_AMOUNT, isCurrencyCode, moneyProblem, type Money, type MoneyProblem } from './money';
