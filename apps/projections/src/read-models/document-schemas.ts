import Ajv, { type SchemaObject, type ValidateFunction } from 'ajv';
import { isUnsplit } from './projections/store-day.projection';
import type { Change, StoreDayDoc } from './read-model.types';

/**
 * The shape of each read model's document (`read-model.types.ts`), as JSON Schema: what a projector needs of a
 * document it reads back from KV before it folds onto it. A document some bug or person wrote in another shape
 * would otherwise stop the fold with a `TypeError` at the next event of its key, and with it every read model.
 *
 * Required is only what the fold reads into or counts on: its keys, the objects and lists it goes into, and the
 * figures it adds to. What it carries from an event (an outcome's time, a review's reason) is checked for its type
 * where present, and not required: a document the fold itself makes must always pass (the unit tests and the chaos
 * run check every one), or each start would find it wrong and rebuild again. Types, not ranges, for the same
 * reason. Every document an earlier version wrote stays valid: fields added since are optional, and a store may
 * still count `offline` terminals, and a terminal keep its swapped-out batches, or one close ended while another
 * pended, as earlier versions did (`upgraded` reads them the new way). Fields and names the schema does not know
 * (a status, a kind) are allowed, so that a later version's documents can be read by this one.
 */

const text = { type: 'string' } as const;
const figure = { type: 'number' } as const;
const digits = { type: 'string', pattern: '^[0-9]+$' } as const;

const object = (required: Record<string, SchemaObject>, optional: Record<string, SchemaObject> = {}): SchemaObject => ({
  type: 'object',
  required: Object.keys(required),
  properties: { ...required, ...optional },
});
const recordOf = (value: SchemaObject): SchemaObject => ({ type: 'object', additionalProperties: value });
const listOf = (item: SchemaObject): SchemaObject => ({ type: 'array', items: item });

const batchFields = {
  purchasesCount: figure,
  purchasesAmount: figure,
  reversalsCount: figure,
  reversalsAmount: figure,
};
const batchFigures = object(batchFields);

const terminalClose = object(
  { operationId: text, closedAt: text, terminal: object({}, batchFields), recorded: batchFigures },
  {
    unknown: listOf(text),
    terminalId: text,
    device: text,
    businessDay: text,
    batchId: text,
    startOfDayAt: text,
    openedAt: text,
    currencies: recordOf(batchFigures),
    saleAmount: figure,
    tipAmount: figure,
    withoutTotals: { type: 'boolean' },
    recordedUnknown: { type: 'boolean' },
    batchLost: { type: 'boolean' },
    mismatch: { type: 'boolean' },
    differences: object({}, batchFields),
  },
);

const swappedOutFields = { since: text, currencies: recordOf(batchFigures), closedAfterSwap: listOf(text) };
const timedCounts = listOf(
  object({ at: text, kind: text, amount: figure, currency: text, count: figure }, { device: text }),
);
const pastBound = object({ ...batchFields, from: text, to: text, currencies: recordOf(batchFigures) });

const currencyTotals = object({
  capturedCount: figure,
  capturedAmount: figure,
  refundedCount: figure,
  refundedAmount: figure,
  net: figure,
});

const terminalTotals = object({ capturedCount: figure, capturedAmount: figure, refundedAmount: figure });

const terminalDoc = object(
  { storeId: text, terminalId: text, status: text, position: digits },
  {
    statusSince: text,
    active: object({ kind: text, paymentId: text }, { since: text, expiresAt: text, stage: text }),
    lastOutcome: object({}, { paymentId: text, status: text, amount: figure, currency: text, at: text }),
    lastRefund: object({}, { paymentId: text, refundId: text, status: text, amount: figure, currency: text, at: text }),
    lastHeardAt: text,
    // Without `voided` and `rejected`, as versions before fold version 2 kept it (`upgraded` reads them as 0).
    today: object(
      {
        date: text,
        payments: figure,
        captured: figure,
        declined: figure,
        failed: figure,
        cancelled: figure,
        expired: figure,
        refunds: figure,
      },
      { voided: figure, rejected: figure },
    ),
    openBatch: object(batchFields, {
      since: text,
      currencies: recordOf(batchFigures),
      closing: listOf(text),
      closingOn: recordOf(text),
      countedWhileClosing: timedCounts,
      pastBound,
      incomplete: object({}, { until: text }),
      // Without its closes, as versions before them kept it (`upgraded` reads it).
      swappedWhileClosing: object(
        { at: text, device: text },
        {
          closes: listOf(text),
          latestSwapAt: text,
          closedAfterSwapLetGo: listOf(text),
          pastBound,
          incomplete: object({}, { until: text }),
        },
      ),
      // A list; versions before kept one close, with its id and time (`upgraded` reads it).
      closedWhileClosing: {
        anyOf: [
          listOf(object({ close: terminalClose, counted: timedCounts }, { pastBound })),
          object({ operationId: text, closedAt: text, counted: timedCounts }),
        ],
      },
    }),
    lastClose: terminalClose,
    closesLetGo: { type: 'boolean' },
    device: text,
    // By the time of each swap; earlier versions kept one batch, then one per device: `upgraded` reads those.
    swappedOut: {
      anyOf: [
        recordOf(object({ ...batchFields, device: text }, swappedOutFields)),
        object({ ...batchFields, device: text, at: text }, swappedOutFields),
        recordOf(object({ ...batchFields, at: text }, swappedOutFields)),
      ],
    },
  },
);

const storeDoc = object(
  {
    storeId: text,
    // The fold dates the store's facts in it.
    timeZone: text,
    terminals: object({ busy: figure, idle: figure }, { deactivated: figure, offline: figure }),
    position: digits,
  },
  {
    name: text,
    today: object({ date: text, totals: recordOf(currencyTotals) }),
    review: listOf(
      object(
        { paymentId: text },
        {
          refundId: text,
          terminalId: text,
          amount: figure,
          currency: text,
          reason: text,
          transactionId: text,
          since: text,
          problem: text,
          at: text,
          captured: { type: 'boolean' },
        },
      ),
    ),
  },
);

const storeDayDoc = object(
  {
    storeId: text,
    date: text,
    currencies: recordOf(currencyTotals),
    // Without `voided` and `rejected`, as versions before fold version 2 kept it (`upgraded` reads them as 0).
    counts: object(
      { declined: figure, failed: figure, cancelled: figure, expired: figure },
      { voided: figure, rejected: figure },
    ),
    cardBrands: recordOf(figure),
    entryMethods: recordOf(figure),
    // Per currency; before, one set of totals per terminal whatever the currency (`upgraded` reads those).
    terminals: recordOf({ anyOf: [object({ currencies: recordOf(terminalTotals) }), terminalTotals] }),
    lateCaptures: listOf(
      object(
        {},
        {
          paymentId: text,
          terminalId: text,
          transactionId: text,
          amount: figure,
          currency: text,
          endedAs: text,
          at: text,
          refundedOn: listOf(text),
        },
      ),
    ),
    position: digits,
  },
  {
    timeZone: text,
    closes: recordOf(terminalClose),
    closeMismatches: figure,
    refundedElsewhere: recordOf(object({ refundedCount: figure, refundedAmount: figure })),
    lateCaptureRefunds: listOf(
      object(
        {},
        {
          paymentId: text,
          transactionId: text,
          refundId: text,
          terminalId: text,
          elsewhere: { type: 'boolean' },
          continued: { type: 'boolean' },
          amount: figure,
          currency: text,
          at: text,
        },
      ),
    ),
    notClosed: recordOf(
      object(
        {},
        {
          operationId: text,
          attempts: figure,
          reason: text,
          at: text,
          closedSince: object({ operationId: text, closedAt: text }),
        },
      ),
    ),
  },
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
  if (validate(doc)) return model === 'store-day' ? unsplitTerminalTotals(doc as StoreDayDoc) : undefined;
  const [error] = validate.errors ?? [];
  if (!error) return 'it is not a document of this model';
  const where = error.instancePath === '' ? 'the document' : error.instancePath;
  return `${where} ${error.message ?? 'is wrong'}`;
}

/**
 * A store day written before its terminals' totals were kept per currency holds one set of totals per terminal.
 * Those are the day's one currency's, and `upgraded` reads them so; on a day with more than one currency nobody can
 * tell which part was which, and the rebuild writes the day again from the log.
 */
function unsplitTerminalTotals(day: StoreDayDoc): string | undefined {
  if (!Object.values(day.terminals).some(isUnsplit)) return undefined;
  const currencies = Object.keys(day.currencies).length;
  return currencies === 1
    ? undefined
    : `/terminals hold totals of no currency, and the day has ${currencies} currencies`;
}
