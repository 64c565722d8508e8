import { DomainError } from '../shared/domain-error';
import { isCurrencyCode } from '../shared/money';

/**
 * The currency of each country where Dintero's in-person payments are sold, and of its neighbours a chain
 * may open stores in. A store's terminals accept its country's currency unless the store names others.
 */
const CURRENCY_OF_COUNTRY: Readonly<Record<string, string>> = {
  NO: 'NOK',
  SE: 'SEK',
  DK: 'DKK',
  FI: 'EUR',
  IS: 'ISK',
  DE: 'EUR',
  NL: 'EUR',
  EE: 'EUR',
  LV: 'EUR',
  LT: 'EUR',
  PL: 'PLN',
  GB: 'GBP',
};

/** The country of each of those countries' IANA time zones: a store's country when it names none. */
const COUNTRY_OF_ZONE: Readonly<Record<string, string>> = {
  'Europe/Oslo': 'NO',
  'Arctic/Longyearbyen': 'NO',
  'Europe/Stockholm': 'SE',
  'Europe/Copenhagen': 'DK',
  'Europe/Helsinki': 'FI',
  'Europe/Mariehamn': 'FI',
  'Atlantic/Reykjavik': 'IS',
  'Europe/Berlin': 'DE',
  'Europe/Amsterdam': 'NL',
  'Europe/Tallinn': 'EE',
  'Europe/Riga': 'LV',
  'Europe/Vilnius': 'LT',
  'Europe/Warsaw': 'PL',
  'Europe/London': 'GB',
};

const COUNTRY = /^[A-Z]{2}$/;
const MAX_CURRENCIES = 10;

/**
 * The currencies a store's terminals accept: those given; else its country's currency (the country given,
 * or the one of its time zone). Refused when none can be told, or when one is not an ISO 4217 code.
 */
export function storeCurrencies(input: {
  readonly currencies?: readonly unknown[] | undefined;
  readonly country?: unknown;
  readonly timeZone: string;
}): readonly string[] {
  if (input.currencies !== undefined) {
    const currencies = [...new Set(input.currencies)];
    if (currencies.length === 0 || currencies.length > MAX_CURRENCIES)
      throw new DomainError('VALIDATION_FAILED', `currencies must name 1-${MAX_CURRENCIES} currencies`, {
        field: 'currencies',
      });
    for (const currency of currencies)
      if (!isCurrencyCode(currency))
        throw new DomainError(
          'VALIDATION_FAILED',
          `currencies: ${JSON.stringify(currency)} is not an ISO 4217 code (upper case, e.g. NOK)`,
          { field: 'currencies' },
        );
    return (currencies as string[]).sort();
  }
  if (input.country !== undefined && (typeof input.country !== 'string' || !COUNTRY.test(input.country)))
    throw new DomainError('VALIDATION_FAILED', 'country must be an ISO 3166-1 alpha-2 code, e.g. NO', {
      field: 'country',
    });
  const country = input.country ?? COUNTRY_OF_ZONE[input.timeZone];
  const currency = country === undefined ? undefined : CURRENCY_OF_COUNTRY[country];
  if (currency === undefined)
    throw new DomainError(
      'VALIDATION_FAILED',
      country === undefined
        ? `currencies: name the currencies the store's terminals accept (no country is known for ${input.timeZone})`
        : `currencies: name the currencies the store's terminals accept (none is known for country ${country})`,
      { field: 'currencies' },
    );
  return [currency];
}
