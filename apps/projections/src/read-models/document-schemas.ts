import Ajv, { type SchemaObject, type ValidateFunction } from 'ajv';
import type { Change } from './read-model.types';

/**
 * The shape of each read model's document (`read-model.types.ts`), as JSON Schema: what a projector needs of a
 * document it reads back from KV before it folds onto it. A document some bug or person wrote in another shape
 * would otherwise stop the fold with a `TypeError` at the next event of its key, and with it every read model.
 *
 * Every document an earlier version wrote stays valid: fields added since are optional, and a store may still
 * count `offline` terminals (`upgraded` reads them the new way). Fields the schema does not name are allowed, and
 * names it does not know (a status, a kind), so that a later version's documents can be read by this one.
 */

// Types, not ranges: what the fold needs to go on. A document a fold makes must always pass (the chaos run checks
// every document in KV against these), or each start would find it wrong and rebuild again.
const text = { type: 'string' } as const;
const count = { type: 'number' } as const;
const amount = count;
const digits = { type: 'string', pattern: '^[0-9]+$' } as const;

const object = (required: Record<string, SchemaObject>, optional: Record<string, SchemaObject> = {}): SchemaObject => ({
  type: 'object',
  required: Object.keys(required),
  properties: { ...required, ...optional },
});
const recordOf = (value: SchemaObject): SchemaObject => ({ type: 'object', additionalProperties: value });

const batchFields = { purchasesCount: count, purchasesAmount: amount, reversalsCount: count, reversalsAmount: amount };
const batchFigures = object(batchFields);

const terminalClose = object(
  {
    terminalId: text,
    operationId: text,
    businessDay: text,
    closedAt: text,
    terminal: batchFigures,
    recorded: batchFigures,
    mismatch: { type: 'boolean' },
  },
  {
    batchId: text,
    startOfDayAt: text,
    differences: object({}, batchFields),
  },
);

const currencyTotals = object({
  capturedCount: count,
  capturedAmount: amount,
  refundedCount: count,
  refundedAmount: amount,
  net: amount,
});

const terminalDoc = object(
  {
    storeId: text,
    terminalId: text,
    // A name this version does not know (a later version's) is folded on like any other.
    status: text,
    position: digits,
  },
  {
    statusSince: text,
    active: object({ kind: text, paymentId: text, since: text }, { expiresAt: text }),
    lastOutcome: object({ paymentId: text, status: text, amount, currency: text, at: text }),
    lastRefund: object({
      paymentId: text,
      refundId: text,
      status: text,
      amount,
      currency: text,
      at: text,
    }),
    lastHeardAt: text,
    today: object({
      date: text,
      payments: count,
      captured: count,
      declined: count,
      failed: count,
      cancelled: count,
      expired: count,
      refunds: count,
    }),
    openBatch: object(batchFields, { since: text }),
    lastClose: terminalClose,
  },
);

const storeDoc = object(
  {
    storeId: text,
    timeZone: text,
    terminals: object({ busy: count, idle: count }, { deactivated: count, offline: count }),
    position: digits,
  },
  {
    name: text,
    today: object({ date: text, totals: recordOf(currencyTotals) }),
    review: {
      type: 'array',
      items: object(
        { paymentId: text, terminalId: text, reason: text, since: text, at: text },
        { transactionId: text },
      ),
    },
  },
);

const storeDayDoc = object(
  {
    storeId: text,
    date: text,
    timeZone: text,
    currencies: recordOf(currencyTotals),
    counts: object({ declined: count, failed: count, cancelled: count, expired: count }),
    cardBrands: recordOf(count),
    entryMethods: recordOf(count),
    terminals: recordOf(object({ capturedCount: count, capturedAmount: amount, refundedAmount: amount })),
    lateCaptures: {
      type: 'array',
      items: object({
        paymentId: text,
        terminalId: text,
        transactionId: text,
        amount,
        currency: text,
        endedAs: text,
        at: text,
      }),
    },
    position: digits,
  },
  { closes: recordOf(terminalClose), closeMismatches: count },
);

const schemas: Record<Change['model'], SchemaObject> = {
  terminal: terminalDoc,
  store: storeDoc,
  'store-day': storeDayDoc,
};
// Compiled when a document of the model is first read back (about 70 ms for all three here): a projector that
// starts on empty buckets, and every other process, never pays for it.
let ajv: Ajv | undefined;
const validators = new Map<Change['model'], ValidateFunction>();
function validatorOf(model: Change['model']): ValidateFunction {
  let validate = validators.get(model);
  if (!validate) {
    ajv ??= new Ajv({ strict: true });
    validate = ajv.compile(schemas[model]);
    validators.set(model, validate);
  }
  return validate;
}

/**
 * What is wrong with `doc` as a document of `model`, as one sentence naming the field (`/active/since must be
 * string`); undefined when a projector can fold onto it.
 */
export function documentProblem(model: Change['model'], doc: unknown): string | undefined {
  const validate = validatorOf(model);
  if (validate(doc)) return undefined;
  const [error] = validate.errors ?? [];
  if (!error) return 'it is not a document of this model';
  const where = error.instancePath === '' ? 'the document' : error.instancePath;
  return `${where} ${error.message ?? 'is wrong'}`;
}
