import { isUnsplit } from './projections/store-day.projection';
import { stringField } from './string-field';
import type { Change, StoreDayDoc } from './read-model.types';

/**
 * A document as this version writes it. Before `deactivated` was its name, a deactivated terminal was
 * `offline` (and a store counted `offline` terminals): documents kept in KV from then are read the new way. A
 * store day kept its terminals' totals whatever the currency: they are its one currency's (`documentProblem`
 * refuses such a day with more).
 */
export function upgraded(change: Change): Change {
  if (change.model === 'terminal' && stringField(change.doc, 'status') === 'offline')
    return { ...change, doc: { ...change.doc, status: 'deactivated' } };
  if (change.model === 'store') {
    const counts: object = change.doc.terminals;
    if (!('deactivated' in counts)) {
      const offline = 'offline' in counts ? Reflect.get(counts, 'offline') : 0;
      return {
        ...change,
        doc: {
          ...change.doc,
          terminals: { busy: change.doc.terminals.busy, idle: change.doc.terminals.idle, deactivated: Number(offline) },
        },
      };
    }
  }
  if (change.model === 'store-day' && Object.values(change.doc.terminals).some(isUnsplit)) {
    const [currency] = Object.keys(change.doc.currencies);
    const terminals: Record<string, StoreDayDoc['terminals'][string]> = {};
    for (const [terminalId, totals] of Object.entries(change.doc.terminals))
      terminals[terminalId] =
        isUnsplit(totals) && currency !== undefined ? { currencies: { [currency]: totals as never } } : totals;
    return { ...change, doc: { ...change.doc, terminals } };
  }
  return change;
}
