/**
 * Money is integers (docs/design.md invariant 8): an amount in the currency's minor units and an ISO 4217
 * code. Pure: no I/O; the currency list is written here, the same on every runtime.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export type MoneyProblem = 'AMOUNT_NOT_AN_INTEGER' | 'AMOUNT_NEGATIVE' | 'AMOUNT_TOO_LARGE' | 'UNKNOWN_CURRENCY';

/**
 * Largest amount the log takes as money, in minor units: well inside JavaScript's exact integers. Dintero takes less
 * (`DINTERO_MAX_AMOUNT` of `@app/dintero`, int32), which the POS's start is held to at the edge; this bound is also
 * what a report from Dintero is read against, whose transaction amounts the specification gives no format.
 */
export const MAX_AMOUNT = 1_000_000_000_00;

/**
 * ISO 4217's current codes that have a minor unit (its list one, less the metals, the SDR and the testing and
 * no-currency codes, which have none): what the engine takes as a currency and, being Dintero's `iso4217-code`
 * format, what the simulator takes as Dintero (`isDinteroCurrency` of `@app/dintero` is this check). One list for
 * both, where the engine took Node's ICU table and the simulator validator.js's: they differ on new codes (ICU 78
 * has XCG and ZWG, validator.js 13.15 neither) and old ones (ICU still has HRK and CUC, withdrawn), so that a store
 * registered for a currency one took could have every start refused by the other. ANG, SLL and ZWL are kept while
 * their successors (XCG, SLE, ZWG) replace them. A new code is added here.
 */
const ISO_4217 = new Set(
  (
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN ' +
    'BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP ' +
    'GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF ' +
    'KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR ' +
    'MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK ' +
    'SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI ' +
    'UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL'
  ).split(' '),
);

export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && ISO_4217.has(value);
}

/** Why `amount` and `currency` are not money, or undefined when they are. Zero is allowed (a refund of nothing is refused elsewhere). */
export function moneyProblem(amount: unknown, currency: unknown): MoneyProblem | undefined {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) return 'AMOUNT_NOT_AN_INTEGER';
  if (amount < 0) return 'AMOUNT_NEGATIVE';
  if (amount > MAX_AMOUNT) return 'AMOUNT_TOO_LARGE';
  if (!isCurrencyCode(currency)) return 'UNKNOWN_CURRENCY';
  return undefined;
}
