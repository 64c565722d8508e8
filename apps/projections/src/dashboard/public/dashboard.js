// The live store dashboard. It keeps the read-model documents it is sent (GET /v1/dashboard/stream:
// `stores` first, then `changes`), each only when its log position is not older than the one it holds,
// and redraws at most once a frame. Text goes in with textContent only: store names come from POS input.
'use strict';

const LATEST = 30;
/** storeId → { store, terminals: Map<terminalId, doc>, days: Map<date, doc> } */
const stores = new Map();
/** paymentId → { ...outcome, storeId, terminalId } */
const latest = new Map();

function newer(held, doc) {
  return !held || BigInt(held.position) <= BigInt(doc.position);
}

function storeEntry(storeId) {
  let entry = stores.get(storeId);
  if (!entry) {
    entry = { store: undefined, terminals: new Map(), days: new Map() };
    stores.set(storeId, entry);
  }
  return entry;
}

function noteOutcome(terminal) {
  const outcome = terminal.lastOutcome;
  if (!outcome) return;
  latest.set(outcome.paymentId, { ...outcome, storeId: terminal.storeId, terminalId: terminal.terminalId });
  if (latest.size > LATEST * 2) {
    const keep = [...latest.values()].sort((a, b) => b.at.localeCompare(a.at)).slice(0, LATEST);
    latest.clear();
    for (const item of keep) latest.set(item.paymentId, item);
  }
}

function apply({ model, doc }) {
  const entry = storeEntry(doc.storeId);
  if (model === 'store') {
    if (newer(entry.store, doc)) entry.store = doc;
  } else if (model === 'terminal') {
    if (newer(entry.terminals.get(doc.terminalId), doc)) {
      entry.terminals.set(doc.terminalId, doc);
      noteOutcome(doc);
    }
  } else if (model === 'store-day') {
    if (newer(entry.days.get(doc.date), doc)) entry.days.set(doc.date, doc);
    // Yesterday's figures are of no use here: keep the two latest days.
    const dates = [...entry.days.keys()].sort();
    for (const date of dates.slice(0, -2)) entry.days.delete(date);
  }
}

function load(snapshot) {
  stores.clear();
  latest.clear();
  for (const { store, terminals, today } of snapshot) {
    apply({ model: 'store', doc: store });
    for (const terminal of terminals) apply({ model: 'terminal', doc: terminal });
    if (today) apply({ model: 'store-day', doc: today });
  }
}

// ---- drawing ----

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) element.setAttribute(name, value);
  for (const child of children) if (child !== undefined) element.append(child);
  return element;
}

const formats = new Map();
function money(minorUnits, currency) {
  let format = formats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    formats.set(currency, format);
  }
  return format.format(minorUnits / 10 ** format.resolvedOptions().maximumFractionDigits);
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour12: false });
}

function totalsLine(today) {
  const totals = Object.entries(today?.currencies ?? {});
  if (totals.length === 0) return 'no captures today';
  return totals
    .map(
      ([currency, t]) =>
        `${t.capturedCount} captured ${money(t.capturedAmount, currency)} · refunded ${money(t.refundedAmount, currency)} · net ${money(t.net, currency)}`,
    )
    .join('; ');
}

function terminalItem(terminal) {
  const outcome = terminal.lastOutcome;
  const doing = terminal.active ? `${terminal.status} (${terminal.active.kind})` : terminal.status;
  return h(
    'li',
    { class: 'terminal', 'data-terminal-id': terminal.terminalId, 'data-status': terminal.status },
    h('span', {}, terminal.terminalId),
    h('span', {}, outcome ? `${doing} · last ${outcome.status} ${money(outcome.amount, outcome.currency)}` : doing),
  );
}

function storeCard(storeId, { store, terminals, days }) {
  const today = store?.today ? days.get(store.today.date) : undefined;
  const counts = store?.terminals ?? { busy: 0, idle: 0, offline: 0 };
  return h(
    'article',
    { class: 'store', 'data-store-id': storeId },
    h('h2', {}, store?.name ?? storeId),
    h('p', { class: 'totals' }, `${counts.busy} busy · ${counts.idle} idle · ${counts.offline} offline`),
    h('p', { class: 'totals', 'data-role': 'today' }, totalsLine(today)),
    h(
      'ul',
      { class: 'terminals' },
      ...[...terminals.values()].sort((a, b) => a.terminalId.localeCompare(b.terminalId)).map(terminalItem),
    ),
  );
}

function latestItem(item) {
  return h(
    'li',
    { 'data-payment-id': item.paymentId, 'data-status': item.status },
    h('span', {}, clock(item.at)),
    h('span', {}, `${item.storeId} · ${item.terminalId}`),
    h('span', {}, `${item.status} ${money(item.amount, item.currency)}`),
  );
}

function lateItem(storeId, late) {
  return h(
    'li',
    { 'data-payment-id': late.paymentId },
    h('span', {}, clock(late.at)),
    h('span', {}, `${storeId} · ${late.terminalId} · after ${late.endedAs}`),
    h('span', {}, money(late.amount, late.currency)),
  );
}

function reviewItem(storeId, storeName, entry) {
  return h(
    'li',
    { 'data-payment-id': entry.paymentId, 'data-status': 'outcome_unknown' },
    h('span', {}, `since ${clock(entry.since)}`),
    h('span', {}, `${storeName} · ${entry.terminalId}`),
    h('span', {}, `payment ${entry.paymentId}${entry.transactionId ? ` · Dintero ${entry.transactionId}` : ''}`),
  );
}

function draw() {
  const ordered = [...stores.entries()].filter(([, entry]) => entry.store).sort(([a], [b]) => a.localeCompare(b));
  document.getElementById('stores').replaceChildren(...ordered.map(([id, entry]) => storeCard(id, entry)));

  const recent = [...latest.values()].sort((a, b) => b.at.localeCompare(a.at)).slice(0, LATEST);
  document.getElementById('latest').replaceChildren(...recent.map(latestItem));

  const late = ordered.flatMap(([id, { store, days }]) =>
    (store.today ? (days.get(store.today.date)?.lateCaptures ?? []) : []).map((capture) => lateItem(id, capture)),
  );
  document.getElementById('late-captures').replaceChildren(...late);

  const review = ordered.flatMap(([id, { store }]) =>
    (store.review ?? []).map((entry) => reviewItem(id, store.name ?? id, entry)),
  );
  document.getElementById('review').replaceChildren(...review);

  const terminals = { busy: 0, idle: 0, offline: 0 };
  let position = 0n;
  for (const [, { store }] of ordered) {
    for (const key of Object.keys(terminals)) terminals[key] += store.terminals[key];
    if (BigInt(store.position) > position) position = BigInt(store.position);
  }
  document.getElementById('summary').textContent =
    `${ordered.length} stores · terminals: ${terminals.busy} busy, ${terminals.idle} idle, ${terminals.offline} offline · log position ${position}`;
}

let drawing = false;
function redraw() {
  if (drawing) return;
  drawing = true;
  requestAnimationFrame(() => {
    drawing = false;
    draw();
  });
}

// ---- live ----

function connect() {
  const connection = document.getElementById('connection');
  const source = new EventSource('/v1/dashboard/stream');
  source.addEventListener('stores', (event) => {
    load(JSON.parse(event.data));
    connection.dataset.state = 'live';
    connection.textContent = 'live';
    redraw();
  });
  source.addEventListener('changes', (event) => {
    for (const change of JSON.parse(event.data)) apply(change);
    redraw();
  });
  // EventSource reconnects by itself; the server then sends the stores afresh.
  source.addEventListener('error', () => {
    connection.dataset.state = 'lost';
    connection.textContent = 'reconnecting…';
  });
}

connect();
