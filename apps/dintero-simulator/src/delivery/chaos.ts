/** Fault injection, global or per terminal (control API `PUT /_control/chaos`). Rates are 0..1. */
export interface Chaos {
  /** Callbacks and webhooks never sent. */
  readonly dropRate: number;
  /** Callbacks and webhooks sent twice. */
  readonly duplicateRate: number;
  /** Deliveries held back by `reorderDelayMs`, so that later ones overtake them. */
  readonly reorderRate: number;
  readonly reorderDelayMs: number;
  /** Extra delay before every delivery. */
  readonly deliveryDelayMs: number;
  /** API answers 503: half of them before the request takes effect, half after (outcome unknown to the caller). */
  readonly api5xxRate: number;
  /** API answers 429 with `Retry-After: 0`, before the request takes effect. */
  readonly api429Rate: number;
  readonly apiLatencyMs: number;
  /** Terminal operations the terminal answers `FAILED`. */
  readonly operationFailRate: number;
  /** Terminal operations the terminal never answers in time: `TIMEOUT`. */
  readonly operationTimeoutRate: number;
}

export const NO_CHAOS: Chaos = {
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderDelayMs: 200,
  deliveryDelayMs: 0,
  api5xxRate: 0,
  api429Rate: 0,
  apiLatencyMs: 0,
  operationFailRate: 0,
  operationTimeoutRate: 0,
};

export function parseChaos(value: unknown, base: Chaos = NO_CHAOS): Chaos {
  if (typeof value !== 'object' || value === null) throw new Error('chaos must be an object');
  const input = value as Record<string, unknown>;
  const result: Record<string, number> = { ...base };
  for (const [key, current] of Object.entries(base)) {
    const given = input[key];
    if (given === undefined) continue;
    const isRate = key.endsWith('Rate');
    if (
      typeof given !== 'number' ||
      !Number.isFinite(given) ||
      given < 0 ||
      (isRate && given > 1) ||
      (!isRate && given > 600_000)
    ) {
      throw new Error(
        `chaos.${key} must be ${isRate ? 'a rate from 0 to 1' : 'milliseconds from 0 to 600000'}, got ${JSON.stringify(given)}`,
      );
    }
    result[key] = given ?? current;
  }
  const unknown = Object.keys(input).filter((key) => !(key in base));
  if (unknown.length > 0) throw new Error(`unknown chaos settings: ${unknown.join(', ')}`);
  return result as unknown as Chaos;
}
