/**
 * class-transformer `@Transform` for an ISO 4217 code given in either case: `"nok"` is NOK. Only three ASCII letters
 * are upper-cased: `toUpperCase` alone would make other text a code (the dotless `"ınr"` is `"INR"`, `"ß"` is
 * `"SS"`), which the check after it would then take. Anything else is passed on as it is, for that check to refuse.
 */
export const currencyInEitherCase = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^[A-Za-z]{3}$/.test(value) ? value.toUpperCase() : value;
