// The live store dashboard. After sign-in it keeps the read-model documents it is sent (GET
// /v1/dashboard/stream: `stores` first, then `changes`: documents, and the ends of payments and refunds the
// projector told of), each only when its log position is not older than the one it holds. A change redraws only its store's card, at most once a frame; a one-second tick ages
// the busy terminals and the problem strip. Text goes in with textContent only: names come from POS input.
'use strict';

const ACTIVITY = 50;
const DAY_MS = 86_400_000;
/** storeId → { store, terminals: Map<terminalId, doc>, days: Map<date, doc> } */
const stores = new Map();
/** id (`p:{paymentId}` or `r:{refundId}`) → activity item; the newest ACTIVITY are kept. */
const activity = new Map();
/** Items that came while the list was paused, shown when it resumes. */
let held = [];
let paused = false;
let settings = { stuckAfterSeconds: 60 };
let source;

const TERMINAL_STATES = {
  idle: 'Ready',
  starting: 'Starting payment',
  awaiting_card: 'Waiting for card',
  cancelling: 'Cancelling',
  refunding: 'Refunding',
  operating: 'Terminal operation',
  deactivated: 'Deactivated',
};
const OUTCOMES = {
  captured: 'Paid',
  declined: 'Declined',
  failed: 'Failed',
  cancelled: 'Cancelled',
  expired: 'Timed out',
  rejected: 'Not started: Dintero refused it',
  voided: 'Voided',
  refunded: 'Refunded',
  refund_failed: 'Refund failed',
};
const BUSY = new Set(['starting', 'awaiting_card', 'cancelling', 'refunding', 'operating']);

// ---- the documents ----

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

/** While a first view loads: its activity list is the server's, not the terminals' last items. */
let loading = false;

/**
 * Whether `item` shows an end anew: one not listed, or listed as it stood before (a refund failed, then made). Which
 * is later goes by the log position of the terminal document each was read from, not by its time: a refund failed
 * for Dintero's silence may be shown made at an earlier time of Dintero's.
 */
function changedEnd(item, listed) {
  if (!listed) return true;
  if (BigInt(item.position ?? '0') < BigInt(listed.position ?? '0')) return false;
  return listed.status !== item.status || listed.at !== item.at || listed.amount !== item.amount;
}

function noteActivity(item) {
  if (loading) return;
  const waiting = held.findIndex((other) => other.id === item.id);
  if (!changedEnd(item, waiting < 0 ? activity.get(item.id) : held[waiting])) return;
  if (paused && waiting >= 0) held[waiting] = item;
  else if (paused && !activity.has(item.id)) held.push(item);
  else addActivity(item);
  // Paused, only the "N new" count changes.
  activityDirty = true;
}

function addActivity(item) {
  activity.set(item.id, item);
  if (activity.size > ACTIVITY * 2) {
    const keep = newestFirst([...activity.values()]).slice(0, ACTIVITY);
    activity.clear();
    for (const kept of keep) activity.set(kept.id, kept);
  }
  activityDirty = true;
}

function activityOf(terminal) {
  const { storeId, terminalId, lastOutcome, lastRefund, position } = terminal;
  const items = [];
  if (lastOutcome)
    items.push({ id: `p:${lastOutcome.paymentId}`, kind: 'payment', storeId, terminalId, ...lastOutcome, position });
  if (lastRefund)
    items.push({ id: `r:${lastRefund.refundId}`, kind: 'refund', storeId, terminalId, ...lastRefund, position });
  return items;
}

function apply({ model, doc }) {
  // An end the projector told of: one a terminal's document may not show (two ends of it between two of its writes).
  if (model === 'activity') return noteActivity(doc);
  const entry = storeEntry(doc.storeId);
  if (model === 'store') {
    if (newer(entry.store, doc)) {
      if (entry.store && entry.store.name !== doc.name) namesChanged = true;
      entry.store = doc;
    }
  } else if (model === 'terminal') {
    if (newer(entry.terminals.get(doc.terminalId), doc)) {
      entry.terminals.set(doc.terminalId, doc);
      activityOf(doc).forEach(noteActivity);
    }
  } else if (model === 'store-day') {
    if (newer(entry.days.get(doc.date), doc)) entry.days.set(doc.date, doc);
    const dates = [...entry.days.keys()].sort();
    for (const date of dates.slice(0, -7)) entry.days.delete(date);
  }
  dirty.add(doc.storeId);
}

/** The first view: `{ stores: [{ store, terminals, today, days }], activity }`. */
function load(view) {
  stores.clear();
  activity.clear();
  held = [];
  loading = true;
  for (const { store, terminals, today, days } of view.stores) {
    apply({ model: 'store', doc: store });
    for (const terminal of terminals) apply({ model: 'terminal', doc: terminal });
    for (const day of today ? [...days, today] : days) apply({ model: 'store-day', doc: day });
  }
  loading = false;
  for (const item of view.activity) addActivity(item);
  storeOptions();
}

// ---- words, numbers and times ----

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) element.setAttribute(name, value);
  for (const child of children) if (child !== undefined && child !== null) element.append(child);
  return element;
}

const formats = new Map();
function cached(key, make) {
  let format = formats.get(key);
  if (!format) formats.set(key, (format = make()));
  return format;
}

/**
 * ISO 4217's minor units, in which every amount is: 2 but for these. Not Intl's own digits, which are CLDR's for
 * display and differ for some (HUF, COP, IDR and PKR show none, yet count in hundredths).
 */
const MINOR_UNITS = {
  ...Object.fromEntries(
    'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF'.split(' ').map((code) => [code, 0]),
  ),
  ...Object.fromEntries('BHD IQD JOD KWD LYD OMR TND'.split(' ').map((code) => [code, 3])),
  CLF: 4,
  UYW: 4,
};

function money(minorUnits, currency) {
  const digits = MINOR_UNITS[currency] ?? 2;
  const format = cached(
    `money:${currency}`,
    () =>
      new Intl.NumberFormat(undefined, {
        style: 'currency',
        currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }),
  );
  return format.format(minorUnits / 10 ** digits);
}

function percent(fraction) {
  return cached('percent', () => new Intl.NumberFormat(undefined, { style: 'percent' })).format(fraction);
}

function timeZoneOf(storeId) {
  return stores.get(storeId)?.store?.timeZone ?? 'UTC';
}

/** `yyyy-mm-dd` of an instant in a time zone. */
function localDate(instant, timeZone) {
  return cached(
    `date:${timeZone}`,
    () => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }),
  ).format(instant);
}

/** A time in the store's zone, with its zone, and with the date when it is not today there. */
function storeTime(iso, storeId) {
  const timeZone = timeZoneOf(storeId);
  const instant = new Date(iso);
  const today = localDate(instant, timeZone) === localDate(Date.now(), timeZone);
  const key = `time:${timeZone}:${today}`;
  return cached(
    key,
    () =>
      new Intl.DateTimeFormat(undefined, {
        timeZone,
        ...(today ? {} : { day: 'numeric', month: 'short' }),
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'short',
      }),
  ).format(instant);
}

function timeElement(iso, storeId) {
  return h('time', { datetime: iso, title: iso }, storeTime(iso, storeId));
}

function duration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

/** A span whose text is "for …" and that the tick keeps up to date. */
function age(since, prefix = 'for ') {
  return h(
    'span',
    { class: 'age', 'data-since': since, 'data-prefix': prefix },
    prefix + duration(Date.now() - Date.parse(since)),
  );
}

function storeName(storeId) {
  return stores.get(storeId)?.store?.name ?? storeId;
}

/**
 * The terminal a refund was done at, linked in its own store: a refund may be done at another store's terminal (the
 * entry is its payment's store's), which then names the payment's store too.
 */
function refundTerminal(paymentStoreId, terminalId) {
  let at = paymentStoreId;
  for (const [storeId, { terminals }] of stores) if (terminals.has(terminalId)) at = storeId;
  const where = link(terminalAnchor(at, terminalId), `${storeName(at)} · ${terminalId}`);
  return at === paymentStoreId ? [where] : [where, ` (a payment of ${storeName(paymentStoreId)})`];
}

function terminalAnchor(storeId, terminalId) {
  return `terminal-${storeId}-${terminalId}`;
}

function link(href, text) {
  return h('a', { href: `#${href}` }, text);
}

// ---- the store cards ----

function currencyLines(currencies, refundedElsewhere) {
  const entries = Object.entries(currencies ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return [h('li', {}, 'No payments yet today')];
  return entries.map(([currency, t]) =>
    h(
      'li',
      { 'data-currency': currency },
      h('strong', {}, `${currency} `),
      `${t.capturedCount} paid ${money(t.capturedAmount, currency)}`,
      t.refundedCount > 0 || t.refundedAmount > 0
        ? ` · ${t.refundedCount} refunded ${money(t.refundedAmount, currency)}`
        : '',
      elsewhereText(refundedElsewhere?.[currency], currency),
      ` · net ${money(t.net, currency)}`,
    ),
  );
}

/**
 * Of a day's refunds in a currency, those made at Dintero by none of the engine's (its Backoffice): at no terminal, and
 * in no terminal's batch. Money without a refund more is the rest of one counted on an earlier day (`continued`).
 */
function elsewhereText(elsewhere, currency) {
  if (!elsewhere || (elsewhere.refundedCount === 0 && elsewhere.refundedAmount === 0)) return '';
  const count = elsewhere.refundedCount;
  const refunds = count === 0 ? 'the rest of a refund' : count === 1 ? '1 refund' : `${count} refunds`;
  return h(
    'span',
    { 'data-role': 'refunded-elsewhere' },
    ` (of them ${money(elsewhere.refundedAmount, currency)} in ${refunds} made at Dintero by none of the engine's, at no terminal)`,
  );
}

/**
 * Money captured late and given back over the days held: each late capture with the days it was given back on
 * (`refundedOn`), and each refund of one with where it was made; one made at Dintero by none of the engine's says so,
 * and the rest of one listed on an earlier day (`continued`) says it is no refund more.
 */
function lateMoneyLines(storeId, days) {
  const lines = [];
  for (const date of [...days.keys()].sort()) {
    const day = days.get(date);
    for (const late of day.lateCaptures ?? [])
      lines.push(
        h(
          'li',
          {
            'data-role': 'late-capture',
            'data-transaction-id': late.transactionId,
            'data-given-back': late.refundedOn?.length ? 'yes' : 'no',
          },
          `${date} · ${late.terminalId}: ${money(late.amount, late.currency)} captured late (payment ${late.paymentId}, transaction ${late.transactionId}), `,
          late.refundedOn?.length ? `given back on ${late.refundedOn.join(', ')}` : 'not given back yet',
        ),
      );
    for (const refund of day.lateCaptureRefunds ?? [])
      lines.push(
        h(
          'li',
          {
            'data-role': 'late-capture-refund',
            'data-transaction-id': refund.transactionId,
            ...(refund.elsewhere ? { 'data-elsewhere': 'yes' } : {}),
            ...(refund.continued ? { 'data-continued': 'yes' } : {}),
          },
          `${date}: ${money(refund.amount, refund.currency)} given back of payment ${refund.paymentId} (transaction ${refund.transactionId}) `,
          refund.elsewhere
            ? "at Dintero by none of the engine's refunds (its Backoffice)"
            : `by refund ${refund.refundId} at ${refund.terminalId}`,
          refund.continued ? ', the rest of a refund listed on an earlier day: no refund more' : '',
          ' (',
          timeElement(refund.at, storeId),
          ')',
        ),
      );
  }
  return lines;
}

function lateMoney(storeId, days) {
  const lines = lateMoneyLines(storeId, days);
  if (lines.length === 0) return undefined;
  return h(
    'div',
    { class: 'late-money' },
    h('h3', {}, 'Captured late, and given back'),
    h('ul', { 'data-role': 'late-money' }, ...lines),
  );
}

function captured(day) {
  return Object.values(day?.currencies ?? {}).reduce((sum, t) => sum + t.capturedCount, 0);
}

function countsLine(day) {
  const counts = day?.counts ?? { declined: 0, cancelled: 0, failed: 0, expired: 0 };
  // Voids and refusals to start are rare: named only on a day that has them.
  const rare = [
    [counts.voided ?? 0, 'voided'],
    [counts.rejected ?? 0, 'refused by Dintero'],
  ].filter(([n]) => n > 0);
  return [
    `${counts.declined} declined · ${counts.cancelled} cancelled · ${counts.expired} timed out · ${counts.failed} failed`,
    ...rare.map(([n, what]) => `${n} ${what}`),
  ].join(' · ');
}

function terminalItem(terminal) {
  const { storeId, terminalId, status, active } = terminal;
  const since = active && BUSY.has(status) ? active.since : terminal.statusSince;
  const last = terminal.lastOutcome;
  return h(
    'li',
    {
      class: 'terminal',
      id: terminalAnchor(storeId, terminalId),
      'data-terminal-id': terminalId,
      'data-status': status,
    },
    h('span', { class: 'terminal-name' }, terminalId),
    h(
      'span',
      { class: 'state' },
      TERMINAL_STATES[status] ?? status,
      active?.kind === 'refund' && status !== 'refunding' ? ' (refund)' : '',
      since ? ' ' : '',
      since ? age(since) : undefined,
    ),
    last
      ? h(
          'span',
          { class: 'last' },
          `Last: ${OUTCOMES[last.status] ?? last.status} ${money(last.amount, last.currency)}, `,
          timeElement(last.at, storeId),
        )
      : undefined,
  );
}

/** Stores whose last seven days are open: a card drawn again keeps them open. */
const openWeeks = new Set();

/**
 * The last seven days, folded: the table is made only while it is open, since 500 stores' tables would be
 * most of the page's elements and nearly all of them unseen.
 */
function week(storeId, days) {
  const details = h(
    'details',
    { class: 'week', ...(openWeeks.has(storeId) ? { open: '' } : {}) },
    h('summary', {}, 'Last 7 days'),
  );
  if (openWeeks.has(storeId)) details.append(weekTable(storeId, days));
  details.addEventListener('toggle', () => {
    if (details.open === openWeeks.has(storeId)) return;
    if (details.open) {
      openWeeks.add(storeId);
      details.append(weekTable(storeId, days));
    } else {
      openWeeks.delete(storeId);
      details.querySelector('table')?.remove();
    }
  });
  return details;
}

function weekTable(storeId, days) {
  const timeZone = timeZoneOf(storeId);
  // Counted back on the calendar from today's date: 24-hour steps back from now skip a daylight-saving day.
  const today = Date.parse(`${localDate(Date.now(), timeZone)}T00:00:00Z`);
  const dates = [6, 5, 4, 3, 2, 1, 0].map((back) => new Date(today - back * DAY_MS).toISOString().slice(0, 10));
  const weekday = cached(
    'weekday',
    () => new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', timeZone: 'UTC' }),
  );
  const rows = dates.map((date) => {
    const day = days.get(date);
    const net = Object.entries(day?.currencies ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, t]) => money(t.net, currency));
    // Refunds made at Dintero by none of the engine's: in the day's refunds, at no terminal.
    const elsewhere = Object.entries(day?.refundedElsewhere ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, t]) => `${t.refundedCount} · ${money(t.refundedAmount, currency)}`);
    return h(
      'tr',
      { 'data-date': date },
      h('th', { scope: 'row' }, weekday.format(new Date(`${date}T12:00:00Z`))),
      h('td', {}, String(captured(day))),
      h('td', {}, net.length > 0 ? net.join('\n') : '–'),
      h('td', {}, String(day?.counts.declined ?? 0)),
      h('td', { 'data-role': 'refunded-elsewhere' }, elsewhere.length > 0 ? elsewhere.join('\n') : '–'),
    );
  });
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Day'),
        h('th', {}, 'Paid'),
        h('th', {}, 'Net'),
        h('th', {}, 'Declined'),
        h('th', { title: "Refunds made at Dintero by none of the engine's (its Backoffice)" }, 'Refunded at Dintero'),
      ),
    ),
    h('tbody', {}, ...rows),
  );
}

/** The store's local date each card was drawn on: once that day has ended there, the card is drawn again (`tick`). */
const drawnOn = new Map();

function storeCard(storeId, { store, terminals, days }) {
  const date = localDate(Date.now(), store.timeZone);
  drawnOn.set(storeId, date);
  const today = days.get(date);
  const counts = store.terminals;
  return h(
    'article',
    { class: 'store', id: `store-${storeId}`, 'data-store-id': storeId },
    h('h2', {}, store.name ?? storeId),
    h('p', { class: 'muted' }, `${storeId} · ${store.timeZone}`),
    h(
      'p',
      { class: 'terminal-counts' },
      `${counts.busy} busy · ${counts.idle} ready · ${counts.deactivated ?? 0} deactivated`,
    ),
    h('ul', { class: 'totals', 'data-role': 'today' }, ...currencyLines(today?.currencies, today?.refundedElsewhere)),
    h('p', { class: 'counts', 'data-role': 'refusals' }, `Today: ${countsLine(today)}`),
    lateMoney(storeId, days),
    week(storeId, days),
    h(
      'ul',
      { class: 'terminals' },
      ...[...terminals.values()].sort((a, b) => a.terminalId.localeCompare(b.terminalId)).map(terminalItem),
    ),
  );
}

// ---- the problem strip ----

/** What needs a person now, most urgent first: each with its text, and a link to its store or terminal. */
function problems(now) {
  const found = [];
  for (const [storeId, { store, terminals, days }] of stores) {
    if (!store) continue;
    const name = storeName(storeId);
    for (const terminal of terminals.values()) {
      const { active, status, terminalId } = terminal;
      if (!active || !BUSY.has(status)) continue;
      const where = link(terminalAnchor(storeId, terminalId), `${name} · ${terminalId}`);
      if (active.expiresAt && Date.parse(active.expiresAt) < now)
        found.push({
          rank: 0,
          kind: 'overdue',
          key: `overdue:${storeId}:${terminalId}:${active.paymentId}:${status}`,
          since: active.since,
          parts: [
            where,
            `: ${TERMINAL_STATES[status]}, open past its deadline (`,
            timeElement(active.expiresAt, storeId),
            ') ',
            age(active.since, 'open '),
          ],
        });
      else if (now - Date.parse(active.since) > settings.stuckAfterSeconds * 1000)
        found.push({
          rank: 1,
          kind: 'stuck',
          key: `stuck:${storeId}:${terminalId}:${active.paymentId}:${status}`,
          since: active.since,
          parts: [where, `: ${TERMINAL_STATES[status]} `, age(active.since)],
        });
    }
    for (const entry of store.review ?? [])
      if (entry.refundId !== undefined)
        found.push({
          rank: 0,
          kind: 'refund-review',
          key: `refund:${entry.refundId}`,
          since: entry.since,
          parts: [
            ...refundTerminal(storeId, entry.terminalId),
            `: refund of ${entry.amount === undefined ? 'an amount' : money(entry.amount, entry.currency)} `,
            entry.reason === 'not_settleable'
              ? `the engine cannot settle with Dintero (${entry.problem ?? 'no answer'}), asked for `
              : 'accepted by Dintero and not finished, asked for ',
            timeElement(entry.since, storeId),
            `. Check Dintero's Backoffice (payment ${entry.paymentId}, refund ${entry.refundId}) before refunding again: its amount stays committed until Dintero says.`,
          ],
        });
      else if (entry.captured)
        // A captured payment: its sale is booked; Dintero shows more captured on its transaction, in another currency.
        found.push({
          rank: 0,
          kind: 'unbookable-capture',
          key: `unbookable:${entry.paymentId}`,
          since: entry.since,
          parts: [
            link(terminalAnchor(storeId, entry.terminalId), `${name} · ${entry.terminalId}`),
            ': captured, and Dintero shows a further capture of its transaction in another currency, which the engine cannot book, since ',
            timeElement(entry.since, storeId),
            `. ${entry.problem ? `${entry.problem}. ` : ''}Check payment ${entry.paymentId} in Dintero's Backoffice: the further capture is in no total here.`,
          ],
        });
      else
        found.push({
          rank: 0,
          kind: 'unknown',
          key: `unknown:${entry.paymentId}`,
          since: entry.since,
          parts: [
            link(terminalAnchor(storeId, entry.terminalId), `${name} · ${entry.terminalId}`),
            entry.reason === 'not_final'
              ? ': not final at Dintero, its session over since '
              : entry.reason === 'not_settleable'
                ? `: the engine cannot settle it with Dintero (${entry.problem ?? 'no answer'}), its session over since `
                : ': outcome unknown at Dintero since ',
            timeElement(entry.since, storeId),
            `. Check the terminal's receipt or Dintero's Backoffice before taking payment ${entry.paymentId} again.`,
          ],
        });
    const recent = [...days.keys()].sort().slice(-2);
    // What each transaction captured late, and what was given back of it (by refunds of ours, or at Dintero by none of
    // ours), over the days held: one given back in full is no longer a problem.
    const lateOf = (late) => `${late.paymentId}:${late.transactionId}`;
    const capturedLate = new Map();
    const givenBack = new Map();
    for (const day of days.values()) {
      for (const late of day.lateCaptures ?? [])
        capturedLate.set(lateOf(late), (capturedLate.get(lateOf(late)) ?? 0) + late.amount);
      for (const refund of day.lateCaptureRefunds ?? [])
        givenBack.set(lateOf(refund), (givenBack.get(lateOf(refund)) ?? 0) + refund.amount);
    }
    for (const date of recent)
      for (const late of days.get(date).lateCaptures ?? []) {
        const back = givenBack.get(lateOf(late)) ?? 0;
        if (back >= capturedLate.get(lateOf(late))) continue;
        found.push({
          rank: 0,
          kind: 'late-capture',
          key: `late:${late.paymentId}:${late.transactionId}`,
          since: late.at,
          parts: [
            link(terminalAnchor(storeId, late.terminalId), `${name} · ${late.terminalId}`),
            `: ${money(late.amount, late.currency)} captured after the payment was ${OUTCOMES[late.endedAs]?.toLowerCase() ?? late.endedAs} (`,
            timeElement(late.at, storeId),
            `)${back > 0 ? `, ${money(back, late.currency)} of the transaction given back so far` : ''}. Give it back with a refund of payment ${late.paymentId} naming transaction ${late.transactionId}.`,
          ],
        });
      }
    for (const date of recent)
      for (const close of Object.values(days.get(date).closes ?? {}))
        if (close.mismatch)
          found.push({
            rank: 0,
            kind: 'close-mismatch',
            key: `close:${storeId}:${close.terminalId}:${close.operationId}`,
            since: close.closedAt,
            parts: [
              link(terminalAnchor(storeId, close.terminalId), `${name} · ${close.terminalId}`),
              ...(close.recordedUnknown === true
                ? // The log's side is not known (its outcome came past what the batch keeps while closes pend): the log's
                  // figures beside the terminal's would read as a difference that is not known to be there.
                  [
                    `: its end of day ${close.businessDay}${close.batchId ? ` (batch ${close.batchId})` : ''} cannot be checked against the log, as the log's figures of its batch are not known (its outcome came after more sales, or more closes pending, than the engine keeps while a close pends): `,
                    close.withoutTotals
                      ? 'the terminal gave no totals either'
                      : batchText(close.terminal, 'the terminal', closeCurrency(close, days)),
                    ". Count the batch's sales in Dintero's Backoffice.",
                  ]
                : close.withoutTotals
                  ? [
                      `: its end of day ${close.businessDay} closed with no totals from the terminal (Dintero reported it completed without its batch), so it cannot be checked against the log: `,
                      loggedText(close, days),
                      ". Read the batch's totals on the terminal or in Dintero's Backoffice.",
                    ]
                  : close.differences === undefined && (close.unknown ?? []).length > 0
                    ? // A mismatch only for figures the terminal gave unreadable: no difference is known. Its other figures
                      // agree with the log, when it has any: with all four unreadable, none does.
                      [
                        `: its end of day ${close.businessDay}${close.batchId ? ` (batch ${close.batchId})` : ''} cannot be checked against the log, as the terminal's ${unreadableFigures(close.unknown)} could not be read${close.unknown.length < Object.keys(FIGURE_NAMES).length ? ' (its other figures agree with the log)' : ''}: `,
                        ...closeTexts(close, days),
                        ". Read the batch's totals on the terminal or in Dintero's Backoffice.",
                      ]
                    : [
                        `: its end of day ${close.businessDay}${close.batchId ? ` (batch ${close.batchId})` : ''} differs from the log: `,
                        ...closeTexts(close, days),
                        '.',
                      ]),
            ],
          });
    for (const date of recent)
      for (const [terminalId, notClosed] of Object.entries(days.get(date).notClosed ?? {})) {
        // Closed since (by hand): the batch given up on is closed; the day keeps the give-up, the strip lets it go. The
        // day says so too (`closedSince`), also for a later day's close that ran before the give-up was recorded.
        if (notClosed.closedSince !== undefined) continue;
        const closedAt = lastClosedAt(terminals.get(terminalId));
        if (closedAt !== undefined && closedAt > Date.parse(notClosed.at)) continue;
        found.push({
          rank: 0,
          kind: 'close-given-up',
          key: `given-up:${storeId}:${terminalId}:${notClosed.operationId}`,
          since: notClosed.at,
          parts: [
            link(terminalAnchor(storeId, terminalId), `${name} · ${terminalId}`),
            `: its end of day ${date} was not closed, given up after ${notClosed.attempts} ${notClosed.attempts === 1 ? 'attempt' : 'attempts'} (${notClosed.reason}). `,
            "Close its batch by hand (an end_of_day operation) once the cause is mended, and check it against Dintero's Backoffice.",
          ],
        });
      }
    const declines = declineRate(storeId, days);
    if (declines)
      found.push({
        rank: 2,
        kind: 'declines',
        key: `declines:${storeId}:${declines.declined}:${declines.attempts}`,
        since: '',
        parts: [
          link(`store-${storeId}`, name),
          `: ${percent(declines.today)} of card payments declined today (${declines.declined} of ${declines.attempts}), usually ${percent(declines.usual)}`,
        ],
      });
  }
  return found.sort((a, b) => a.rank - b.rank || a.since.localeCompare(b.since) || a.key.localeCompare(b.key));
}

/**
 * When the terminal last closed its batch (ms), if it did: its last close, or a later one that waits in its open batch.
 * While a device swapped in waits for a close of the one it replaced, the terminal's last close stays the old device's
 * (a late sale of that device is compared with it); the new device's closes are in `openBatch.closedWhileClosing`.
 */
function lastClosedAt(terminal) {
  const closes = [terminal?.lastClose, ...(terminal?.openBatch?.closedWhileClosing ?? []).map(({ close }) => close)];
  const times = closes.filter((close) => close !== undefined).map((close) => Date.parse(close.closedAt));
  return times.length === 0 ? undefined : Math.max(...times);
}

/**
 * A close beside the log in words: "the terminal: 3 purchases (NOK 135.00), 1 refund (NOK 5.00); the log: …".
 * Dintero's batch gives no currency: its amounts are in the one currency the log counted in the batch (or, with
 * nothing counted, the one the store's days show). When the log counted several, the terminal's amounts are their
 * sum, shown in minor units, and the log's are shown per currency.
 */
function closeTexts(close, days) {
  const counted = Object.entries(close.currencies ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (counted.length > 1)
    return [
      batchText(close.terminal, `the terminal (its sum of ${counted.map(([currency]) => currency).join(' and ')})`),
      '; the log: ',
      counted.map(([currency, figures]) => batchText(figures, currency, currency)).join('; '),
    ];
  const currency = counted[0]?.[0] ?? storeCurrency(days);
  return [batchText(close.terminal, 'the terminal', currency), '; ', batchText(close.recorded, 'the log', currency)];
}

const FIGURE_NAMES = {
  purchasesCount: 'number of purchases',
  purchasesAmount: 'purchase amount',
  reversalsCount: 'number of refunds',
  reversalsAmount: 'refund amount',
};

/** A close's `unknown` figures in words: "purchase amount and number of refunds". */
function unreadableFigures(unknown) {
  const names = unknown.map((figure) => FIGURE_NAMES[figure] ?? figure);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
}

/** The one currency a close's batch was counted in by the log, or the store's. */
function closeCurrency(close, days) {
  const counted = Object.keys(close.currencies ?? {});
  return counted.length === 1 ? counted[0] : storeCurrency(days);
}

/** What the log recorded in a close's batch, in words, for a close with no totals from the terminal to set beside. */
function loggedText(close, days) {
  const counted = Object.entries(close.currencies ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (counted.length > 1)
    return `the log: ${counted.map(([currency, figures]) => batchText(figures, currency, currency)).join('; ')}`;
  return batchText(close.recorded, 'the log', counted[0]?.[0] ?? storeCurrency(days));
}

/** The one currency a store's days show takings in, or undefined when they show none or several. */
function storeCurrency(days) {
  const seen = new Set([...days.values()].flatMap((day) => Object.keys(day.currencies ?? {})));
  return seen.size === 1 ? [...seen][0] : undefined;
}

/**
 * A batch's figures in words: "the terminal: 3 purchases (NOK 135.00), 1 refund (NOK 5.00)". A figure the terminal
 * gave unreadable (absent, named in the close's `unknown`) reads "unknown", never 0.
 */
function batchText(figures, whose, currency) {
  const count = (n, one, many) => (n === undefined ? `an unknown number of ${many}` : `${n} ${n === 1 ? one : many}`);
  const amount = (minor) =>
    minor === undefined ? 'an unknown amount' : currency ? money(minor, currency) : `${minor} in minor units`;
  return (
    `${whose}: ${count(figures.purchasesCount, 'purchase', 'purchases')} (${amount(figures.purchasesAmount)}), ` +
    `${count(figures.reversalsCount, 'refund', 'refunds')} (${amount(figures.reversalsAmount)})`
  );
}

/**
 * Today's decline rate when it is far above the store's usual (its previous six days, or 10 % without
 * enough of them): at least five declines, and twice the usual and 15 points above it.
 */
function declineRate(storeId, days) {
  const today = localDate(Date.now(), timeZoneOf(storeId));
  let declined = 0;
  let attempts = 0;
  let pastDeclined = 0;
  let pastAttempts = 0;
  for (const [date, day] of days) {
    const d = day.counts.declined;
    const a = d + captured(day);
    if (date === today) [declined, attempts] = [d, a];
    else [pastDeclined, pastAttempts] = [pastDeclined + d, pastAttempts + a];
  }
  if (declined < 5 || attempts < 10) return undefined;
  const usual = pastAttempts >= 20 ? pastDeclined / pastAttempts : 0.1;
  const rate = declined / attempts;
  return rate >= Math.max(2 * usual, usual + 0.15) ? { today: rate, usual, declined, attempts } : undefined;
}

let shownProblems = '';

/** The strip is drawn again only when its entries change (a link is not replaced under a finger or pointer). */
function drawProblems() {
  const found = problems(Date.now());
  // A renamed store changes the texts but not the keys: the names are part of what is compared.
  const keys = found.map((problem) => `${problem.key}@${problem.parts[0].textContent}`).join('|');
  if (keys === shownProblems) return;
  shownProblems = keys;
  document
    .getElementById('problem-list')
    .replaceChildren(...found.map((problem) => h('li', { 'data-kind': problem.kind }, ...problem.parts)));
  document.getElementById('no-problems').hidden = found.length > 0;
  document.getElementById('problems').dataset.count = String(found.length);
}

// ---- the activity list ----

let activityDirty = false;
/** A store was renamed: the store filter's options are made again. */
let namesChanged = false;

function newestFirst(items) {
  return items.sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id));
}

function activityItem(item) {
  return h(
    'li',
    { 'data-payment-id': item.paymentId, 'data-status': item.status, 'data-kind': item.kind },
    timeElement(item.at, item.storeId),
    h(
      'span',
      {},
      link(terminalAnchor(item.storeId, item.terminalId), `${storeName(item.storeId)} · ${item.terminalId}`),
    ),
    h('span', { class: 'outcome' }, `${OUTCOMES[item.status] ?? item.status} ${money(item.amount, item.currency)}`),
  );
}

function drawActivity() {
  activityDirty = false;
  const store = document.getElementById('filter-store').value;
  const outcome = document.getElementById('filter-outcome').value;
  const shown = newestFirst([...activity.values()])
    .filter((item) => !store || item.storeId === store)
    .filter((item) => !outcome || (outcome === 'refund' ? item.kind === 'refund' : item.status === outcome))
    .slice(0, ACTIVITY);
  document.getElementById('activity').replaceChildren(...shown.map(activityItem));
  document.getElementById('held').textContent = paused && held.length > 0 ? `${held.length} new` : '';
}

function storeOptions() {
  const select = document.getElementById('filter-store');
  const chosen = select.value;
  const ids = [...stores.keys()]
    .filter((id) => stores.get(id).store)
    .sort((a, b) => storeName(a).localeCompare(storeName(b)));
  select.replaceChildren(
    h('option', { value: '' }, 'All stores'),
    ...ids.map((id) => h('option', { value: id }, storeName(id))),
  );
  select.value = ids.includes(chosen) ? chosen : '';
}

// ---- drawing ----

const dirty = new Set();
let drawing = false;

function redraw() {
  if (drawing) return;
  drawing = true;
  requestAnimationFrame(() => {
    drawing = false;
    draw();
  });
}

/** The cards of changed stores are made anew and put in their place (stores in id order); the rest stay. */
function draw() {
  const container = document.getElementById('stores');
  let newStore = false;
  if (container.childElementCount === 0) {
    // The first view: every card at once, in order, rather than each put in its place among the others.
    const ids = [...stores.keys()].filter((storeId) => stores.get(storeId).store).sort();
    container.replaceChildren(...ids.map((storeId) => storeCard(storeId, stores.get(storeId))));
    dirty.clear();
    newStore = ids.length > 0;
  }
  for (const storeId of dirty) {
    const entry = stores.get(storeId);
    if (!entry?.store) continue;
    const card = storeCard(storeId, entry);
    const old = document.getElementById(`store-${storeId}`);
    if (old) old.replaceWith(card);
    else {
      newStore = true;
      const next = [...container.children].find((other) => other.dataset.storeId > storeId);
      container.insertBefore(card, next ?? null);
    }
  }
  dirty.clear();
  if (newStore || namesChanged) storeOptions();
  namesChanged = false;
  if (activityDirty) drawActivity();
  drawProblems();
  drawSummary();
}

function drawSummary() {
  const totals = { busy: 0, idle: 0, deactivated: 0 };
  let count = 0;
  for (const { store } of stores.values()) {
    if (!store) continue;
    count += 1;
    for (const key of Object.keys(totals)) totals[key] += store.terminals[key] ?? 0;
  }
  document.getElementById('summary').textContent =
    `${count} stores · terminals: ${totals.busy} busy, ${totals.idle} ready, ${totals.deactivated} deactivated`;
}

/** Once a second: the ages on the page, and the problems (a prompt becomes stuck by time alone). */
function tick() {
  const now = Date.now();
  for (const span of document.querySelectorAll('.age'))
    span.textContent = span.dataset.prefix + duration(now - Date.parse(span.dataset.since));
  drawProblems();
  // A card drawn on a day that has since ended in its store's zone shows that day's takings as today's.
  const todayIn = new Map();
  for (const [storeId, date] of drawnOn) {
    if (!stores.has(storeId)) {
      drawnOn.delete(storeId);
      continue;
    }
    const timeZone = timeZoneOf(storeId);
    if (!todayIn.has(timeZone)) todayIn.set(timeZone, localDate(now, timeZone));
    if (todayIn.get(timeZone) !== date) dirty.add(storeId);
  }
  if (dirty.size > 0) redraw();
}

// ---- sign-in and the live stream ----

function show(signedIn) {
  document.getElementById('sign-in').hidden = signedIn;
  document.getElementById('board').hidden = !signedIn;
  document.getElementById('problems').hidden = !signedIn;
  document.getElementById('sign-out').hidden = !signedIn;
  if (!signedIn) {
    stores.clear();
    activity.clear();
    document.getElementById('stores').replaceChildren();
    document.getElementById('summary').textContent = '';
    document.getElementById('viewer').textContent = '';
    setConnection('signed-out', 'signed out');
    document.querySelector('#sign-in input').focus();
  }
}

function setConnection(state, text) {
  const connection = document.getElementById('connection');
  connection.dataset.state = state;
  connection.textContent = text;
}

/** The pause before the session is asked about again, doubling to half a minute while the dashboard does not answer. */
let sessionRetryMs = 1_000;
let sessionRetry;

/**
 * Asks whether the session still holds: signed out on 401. Any other failure (the TLS proxy's 502 while the engine
 * restarts, a rate limit's 429, the network) is asked about again, less and less often, so that a wall display
 * comes back by itself.
 */
async function checkSession() {
  clearTimeout(sessionRetry);
  const response = await fetch('/v1/dashboard/session', { credentials: 'same-origin' }).catch(() => undefined);
  if (response?.status === 401) return show(false);
  if (!response?.ok) {
    setConnection(
      'lost',
      `${response ? `the dashboard answered ${response.status}` : 'the dashboard does not answer'}: trying again`,
    );
    sessionRetry = setTimeout(() => void checkSession(), sessionRetryMs * (0.75 + Math.random() / 2));
    sessionRetryMs = Math.min(sessionRetryMs * 2, 30_000);
    return;
  }
  sessionRetryMs = 1_000;
  start(await response.json());
}

function start(session) {
  settings = session;
  document.getElementById('viewer').textContent =
    `${session.operatorId} · ${session.stores === '*' ? 'every store' : `${session.stores.length} stores`}`;
  show(true);
  connect();
}

function connect() {
  source?.close();
  setConnection('connecting', 'connecting');
  source = new EventSource('/v1/dashboard/stream');
  source.addEventListener('stores', (event) => {
    document.getElementById('stores').replaceChildren();
    load(JSON.parse(event.data));
    for (const storeId of stores.keys()) dirty.add(storeId);
    activityDirty = true;
    setConnection('live', 'live');
    redraw();
  });
  source.addEventListener('changes', (event) => {
    for (const change of JSON.parse(event.data)) apply(change);
    redraw();
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself after a dropped stream; a refused one (the session ended) it gives up.
    if (source.readyState === EventSource.CLOSED) void checkSession();
    else setConnection('lost', 'reconnecting…');
  });
}

document.getElementById('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const error = document.getElementById('sign-in-error');
  error.textContent = '';
  const response = await fetch('/v1/dashboard/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: form.elements.key.value }),
  });
  form.elements.key.value = '';
  if (response.ok) return start(await response.json());
  const problem = await response.json().catch(() => ({}));
  error.textContent = problem.detail ?? `Sign-in failed (${response.status})`;
});

document.getElementById('sign-out').addEventListener('click', async () => {
  source?.close();
  await fetch('/v1/dashboard/session', { method: 'DELETE' });
  show(false);
});

document.getElementById('pause').addEventListener('click', (event) => {
  paused = !paused;
  event.currentTarget.setAttribute('aria-pressed', String(paused));
  event.currentTarget.textContent = paused ? 'Resume' : 'Pause';
  if (!paused) {
    held.forEach(addActivity);
    held = [];
  }
  drawActivity();
});
for (const id of ['filter-store', 'filter-outcome'])
  document.getElementById(id).addEventListener('change', drawActivity);

setInterval(tick, 1_000);
void checkSession();
