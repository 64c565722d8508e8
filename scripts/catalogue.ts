// `npm run docs:catalogue`: writes the catalogue of docs/consuming.md (every field of every read-model document,
// and every event type of the feed with its data fields) from the TypeScript types themselves, between its
// two markers. `test/catalogue.unit.spec.ts` fails when the file says anything else, so that it cannot drift.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..');
export const CONSUMING = path.join(root, 'docs/consuming.md');
// Prettier would align the tables differently from what is generated: it leaves this part alone.
const START =
  '<!-- catalogue:start (npm run docs:catalogue writes this part from the types) -->\n<!-- prettier-ignore-start -->';
const END = '<!-- prettier-ignore-end -->\n<!-- catalogue:end -->';

/** The documents, in the order a reader meets them: the type, where it lives, and its key. */
const DOCUMENTS = [
  { type: 'TerminalDoc', title: 'Terminal', where: '`payments_terminals`, key `{storeId}.{terminalId}`' },
  { type: 'StoreDoc', title: 'Store', where: '`payments_stores`, key `{storeId}`' },
  { type: 'StoreDayDoc', title: 'Store-day', where: '`payments_store_days`, key `{storeId}.{yyyy-mm-dd}`' },
  {
    type: 'PaymentIndexEntry',
    title: 'Payment index entry',
    where: '`payments_payment_index` (see above for its key)',
  },
] as const;
const DOCUMENT_FILES = [
  'apps/projections/src/read-models/read-model.types.ts',
  'apps/projections/src/read-models/terminal-batch.types.ts',
  'libs/messaging/src/payment-index.ts',
];
/** The event unions of the domain, by the stream their events are on. */
const EVENTS = [
  { type: 'PaymentEvent', stream: '`payment-{paymentId}`', file: 'libs/payment-domain/src/payment/payment.events.ts' },
  {
    type: 'TerminalEvent',
    stream: '`terminal-{terminalId}`',
    file: 'libs/payment-domain/src/terminal/terminal.decider.ts',
  },
  { type: 'StoreEvent', stream: '`store-{storeId}`', file: 'libs/payment-domain/src/store/store.decider.ts' },
  {
    type: 'OperationEvent',
    stream: '`operation-{operationId}`',
    file: 'libs/payment-domain/src/operation/operation.events.ts',
    // A give-up goes on the terminal day's stream, whatever the attempt: its `operationId` is not its stream's id.
    streamOf: {
      CloseGivenUp:
        "`operation-{id}`, the terminal day's stream (its id made from the store, terminal and day, not the attempt named by `operationId`)",
      CloseAttemptClaimed:
        "`operation-{id}`, the terminal day's stream (its id made from the store, terminal and day, not the attempt named by `operationId`)",
    },
  },
] as const;

/**
 * What a field means when its type says nothing (a JSDoc comment on the field wins): the words of the names the
 * events and documents share. Every row of the catalogue must have a meaning, from here or from its type.
 */
const GLOSSARY: Readonly<Record<string, string>> = {
  at: 'When the engine recorded it.',
  source: 'Where the fact came from: `callback`, `webhook`, `reconciler` or `command-service`.',
  transactionId: "Dintero's transaction id.",
  terminalId: 'The terminal, by the id the POS uses.',
  operationId: "The terminal operation (the engine's id, a UUID).",
  dinteroOperationId: "Dintero's id of the terminal operation.",
  retryAt: 'When it is sent again.',
  storeId: 'The store.',
  amount: 'Amount in minor units (øre, cents).',
  reason: 'Why, as a code or in words.',
  paymentId: "The payment (the engine's id).",
  refundId: "The refund (the engine's id).",
  currency: 'ISO 4217 currency code.',
  timeZone: "The store's IANA time zone: its days are local days there.",
  claimId: "The terminal's claim: a payment's is its payment id, a refund's its refund id.",
  by: 'Who asked for it.',
  terminalTransactionId: "The terminal's own transaction id, for the receipt and the acquirer.",
  receiptNumber: "The terminal's receipt number, unique per terminal.",
  customerReceipt:
    "The customer's copy of the receipt, as the terminal wrote it (`seitatech:customerReceipt`); may print the masked card number.",
  customerReceiptPart2:
    "The second part of the customer's copy (`seitatech:customerReceiptPart2`), kept apart: Dintero does not say how it joins the first.",
  merchantReceipt:
    "The merchant's copy of the receipt, as the terminal wrote it (`seitatech:merchantReceipt`); may print the masked card number.",
  merchantReceiptPart2:
    "The second part of the merchant's copy (`seitatech:merchantReceiptPart2`), kept apart: Dintero does not say how it joins the first.",
  receipt: "The terminal's references and the receipts it wrote.",
  payoutDestinationId: "Dintero's payout destination (the seller) the money goes to.",
  name: "The store's name.",
  expiresAt: 'When it runs out.',
  capturedCount: 'Payments captured.',
  capturedAmount: 'Captured, in minor units.',
  refundedCount: 'Refunds made.',
  refundedAmount: 'Refunded, in minor units.',
  net: 'Captured minus refunded, in minor units.',
  since: 'Since when.',
  requestedAt: 'When the POS asked for it.',
  merchantReference: "The POS's own reference (a receipt or order number).",
  kind: '`payment`, `refund` or `operation` (a terminal operation such as `end_of_day`).',
  date: "The store's local day, yyyy-mm-dd.",
  payments: 'Payments started.',
  captured: 'Payments captured.',
  declined: 'Payments the card or its issuer declined.',
  failed: 'Payments that failed (a technical error at Dintero or the terminal).',
  cancelled: 'Payments cancelled (by the POS, the customer or the terminal).',
  expired: 'Payments that timed out: the customer never paid.',
  refunds: 'Refunds made.',
  busy: 'Terminals busy with a payment, a refund or a terminal operation (an end-of-day close, say).',
  idle: 'Terminals ready for a payment.',
  deactivated: 'Terminals taken out of use.',
  totals: 'Totals per currency (ISO 4217 code).',
  sessionId: "Dintero's session id.",
  requestId: "Dintero's id for the refund request it accepted.",
  quantity: 'How many.',
  vat: 'VAT, in minor units.',
  posClientId: 'The POS client (its key) that asked.',
  movedToStoreId: 'The store the terminal moved to.',
  metadata: "The POS's own key-value pairs, as it sent them.",
  message: "Dintero's message.",
  code: "Dintero's error code.",
  httpStatus: "Dintero's HTTP status.",
  items: 'The order lines.',
  id: "The line's product id.",
  lineId: "The line's id in the order.",
  description: "The line's text.",
  card: 'The card, never its number.',
  brand: 'Card brand as Dintero spells it (Visa, MasterCard, …).',
  entryMethod: 'How the card was read (contactless, chip, …).',
  maskedPan: 'The card number, masked.',
  type: 'Card type as Dintero gives it (Credit, Debit, Credit Card, Debit Card or Prepaid).',
  endedAs: 'How the payment had ended before the capture came.',
  claimedAt: 'When the terminal was claimed.',
  flaggedForReversal: 'Always true: the money must be given back.',
  position: 'The log position it reflects, as a decimal string.',
  status: 'How it ended or stands.',
};

interface Row {
  readonly field: string;
  readonly type: string;
  readonly meaning: string;
}

/** The catalogue as markdown, from the types. */
export function catalogue(): string {
  const files = [...DOCUMENT_FILES, ...EVENTS.map((events) => events.file)].map((file) => path.join(root, file));
  // The project's own compiler options: its path aliases (`@app/…`) resolve as in the build.
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), (file) => ts.sys.readFile(file));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram(files, { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const declared = (file: string, name: string): ts.Type => {
    const source = program.getSourceFile(path.join(root, file))!;
    const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find((s) => s.name === name);
    if (!symbol) throw new Error(`${name} is not declared in ${file}`);
    return checker.getDeclaredTypeOfSymbol(symbol);
  };
  const meaning = (symbol: ts.Symbol) =>
    ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();

  /** One row per field, nested objects flattened to `a.b`, maps to `a.{key}.b`. */
  const rows = (type: ts.Type, prefix = ''): Row[] =>
    checker.getPropertiesOfType(type).flatMap((property) => {
      const field = `${prefix}${property.name}`;
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      const propertyType = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(property, declaration!));
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
      const nested = expand(propertyType);
      const own: Row = {
        field: `\`${field}\`${optional ? ' (optional)' : ''}`,
        type: nested ? (nested.map ? 'map' : nested.list ? 'list' : 'object') : describe(propertyType),
        meaning: meaning(property) || GLOSSARY[property.name] || '',
      };
      if (!nested) return [own];
      const inner = nested.map ? `${field}.{key}.` : nested.list ? `${field}[].` : `${field}.`;
      return [own, ...rows(nested.type, inner)];
    });
  /** An object worth listing field by field: a plain object, a string-keyed map of objects, a list of objects. */
  const expand = (type: ts.Type): { type: ts.Type; map?: true; list?: true } | undefined => {
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      const element = checker.getTypeArguments(type as ts.TypeReference)[0];
      return element && isObject(element) ? { type: element, list: true } : undefined;
    }
    const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    if (index) return isObject(index.type) ? { type: index.type, map: true } : undefined;
    return isObject(type) ? { type } : undefined;
  };
  const isObject = (type: ts.Type) =>
    (type.flags & ts.TypeFlags.Object) !== 0 &&
    !checker.isArrayType(type) &&
    checker.getPropertiesOfType(type).length > 0 &&
    checker.getSignaturesOfType(type, ts.SignatureKind.Call).length === 0;
  const describe = (type: ts.Type) =>
    checker
      .typeToString(
        type,
        undefined,
        ts.TypeFormatFlags.NoTruncation |
          ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType |
          ts.TypeFormatFlags.InTypeAlias,
      )
      .replace(/readonly /g, '')
      .replace(/\|/g, '\\|');
  const table = (entries: readonly Row[]) =>
    entries.length === 0
      ? 'No data fields.\n'
      : [
          '| field | type | meaning |',
          '| ----- | ---- | ------- |',
          ...entries.map((row) => `| ${row.field} | ${row.type} | ${row.meaning.replace(/\|/g, '\\|')} |`),
          '',
        ].join('\n');

  const out: string[] = [
    '## Catalogue: every field',
    '',
    'Written from the TypeScript types by `npm run docs:catalogue`; a test fails when this part says anything else.',
    'Amounts are minor units, instants ISO 8601 UTC strings, positions decimal strings.',
    '',
    '### Documents',
    '',
  ];
  for (const document of DOCUMENTS) {
    const file = DOCUMENT_FILES.find((candidate) =>
      readFileSync(path.join(root, candidate), 'utf8').includes(`interface ${document.type} `),
    )!;
    out.push(`#### ${document.title}: ${document.where}`, '', table(rows(declared(file, document.type))));
  }
  out.push(
    '### Events of the feed',
    '',
    'Each feed message is the event as the log holds it: `id` (also the JetStream message id), `type`,',
    '`streamName`, `revision` (in its stream), `position` (in the log), `metadata` (`correlationId`, `occurredAt`,',
    'and the `paymentId`, `storeId`, `terminalId` it is about when it has them) and `data`, whose fields follow.',
    '',
  );
  for (const events of EVENTS) {
    const union = declared(events.file, events.type);
    const members = union.isUnion() ? union.types : [union];
    for (const member of members) {
      const typeProperty = checker.getPropertyOfType(member, 'type');
      const data = checker.getPropertyOfType(member, 'data');
      if (!typeProperty || !data)
        throw new Error(`${events.type} has a member without type or data: ${checker.typeToString(member)}`);
      const name = checker.typeToString(checker.getTypeOfSymbol(typeProperty)).replace(/"/g, '');
      const dataType = checker.getTypeOfSymbol(data);
      const streamOf: Readonly<Record<string, string>> = 'streamOf' in events ? events.streamOf : {};
      out.push(`#### \`${name}\` on ${streamOf[name] ?? events.stream}`, '', table(rows(dataType)));
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** docs/consuming.md with its catalogue part as the types say. */
export function withCatalogue(markdown: string, generated = catalogue()): string {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/consuming.md has no ${START} … ${END} part`);
  return `${markdown.slice(0, start + START.length)}\n\n${generated}\n${markdown.slice(end)}`;
}

if (require.main === module) {
  const before = readFileSync(CONSUMING, 'utf8');
  const after = withCatalogue(before);
  writeFileSync(CONSUMING, after);
  console.log(
    after === before ? 'docs/consuming.md: the catalogue was up to date' : 'docs/consuming.md: catalogue written',
  );
}
