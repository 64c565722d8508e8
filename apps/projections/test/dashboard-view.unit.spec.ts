import { logOfEvents } from '../../../test/support/recorded-events';
import { DashboardService } from '../src/dashboard/dashboard.service';
import { newestActivity, RecentActivity } from '../src/dashboard/recent-activity';
import { activityOf, type ActivityItem } from '../src/read-models/activity';
import { Operator } from '../src/operators/operator';
import type { ProjectorService } from '../src/projector/projector.service';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import type { TerminalDoc } from '../src/read-models/read-model.types';

const event = logOfEvents();
const at = (iso: string) => ({ at: iso });

/** A store with one terminal, and a captured payment on each of the given instants. */
function chain(storeId: string, payments: readonly string[]): ReadModelProjector {
  const projector = new ReadModelProjector();
  const registered = '2026-11-01T00:00:00.000Z';
  projector.apply(
    event(`store-${storeId}`, 'StoreRegistered', {
      storeId,
      name: storeId,
      payoutDestinationId: 'p',
      timeZone: 'Europe/Oslo',
      ...at(registered),
    }),
  );
  projector.apply(event(`store-${storeId}`, 'TerminalRegistered', { storeId, terminalId: 'T-1', ...at(registered) }));
  payments.forEach((time, n) => {
    const paymentId = `${storeId}-p-${n}`;
    const ids = { paymentId, storeId, terminalId: 'T-1' };
    projector.apply(
      event(`payment-${paymentId}`, 'PaymentRequested', { ...ids, amount: 1_000, currency: 'NOK', requestedAt: time }),
    );
    projector.apply(
      event(`payment-${paymentId}`, 'PaymentCaptured', {
        transactionId: `tx-${paymentId}`,
        amount: 1_000,
        currency: 'NOK',
        source: 'callback',
        at: time,
      }),
    );
  });
  return projector;
}

const viewer = (...stores: string[]) => ({
  operator: new Operator('viewer', stores.length > 0 ? new Set(stores) : '*', 'a'.repeat(64)),
  expiresAt: Number.POSITIVE_INFINITY,
});

describe('the dashboard’s first view', () => {
  const now = Date.parse('2026-11-24T12:00:00.000Z');
  const dashboard = (models: ReadModelProjector, loaded = true) =>
    new DashboardService({} as never, {} as never, { models, loaded } as ProjectorService, {} as never);

  it('is refused, 503 READ_MODELS_NOT_READY, before the projector has loaded the read models', () => {
    const models = chain('oslo', ['2026-11-24T10:00:00.000Z']);
    let refused: unknown;
    try {
      dashboard(models, false).snapshot(viewer(), now);
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ status: 503, response: { code: 'READ_MODELS_NOT_READY' } });
  });

  it('sends today in full and the six days before it without their breakdowns, and nothing older', () => {
    const models = chain('oslo', [
      '2026-11-16T10:00:00.000Z', // eight days ago: not shown
      '2026-11-18T10:00:00.000Z', // six days ago: the oldest shown
      '2026-11-23T10:00:00.000Z',
      '2026-11-24T10:00:00.000Z',
    ]);
    const [oslo] = dashboard(models).snapshot(viewer(), now).stores;
    expect(oslo!.today).toEqual(models.storeDay('oslo', '2026-11-24'));
    expect(oslo!.days.map((day) => day.date)).toEqual(['2026-11-18', '2026-11-23']);
    expect(Object.keys(oslo!.days[0]!).sort()).toEqual(
      ['counts', 'currencies', 'date', 'lateCaptures', 'position', 'storeId'].sort(),
    );
  });

  it('lists the day the clocks went forward, in the hour after midnight too', () => {
    // 29 March 2026 has 23 hours in Oslo; at 00:30 on the 30th, 24-hour steps back from now skipped it.
    const models = chain('oslo', ['2026-03-24T10:00:00.000Z', '2026-03-29T21:00:00.000Z', '2026-03-29T22:10:00.000Z']);
    const [oslo] = dashboard(models).snapshot(viewer(), Date.parse('2026-03-29T22:30:00.000Z')).stores;
    expect(oslo!.today?.date).toBe('2026-03-30');
    expect(oslo!.days.map((day) => day.date)).toEqual(['2026-03-24', '2026-03-29']);
  });

  it('shows an operator its stores only, and the latest ends among them', () => {
    const models = chain('oslo', ['2026-11-24T10:00:00.000Z']);
    const bergen = chain('bergen', ['2026-11-24T11:00:00.000Z']);
    for (const change of bergen.documents()) models.load(change);
    const view = dashboard(models).snapshot(viewer('oslo'), now);
    expect(view.stores.map((entry) => entry.store.storeId)).toEqual(['oslo']);
    expect(view.activity.map((item) => item.id)).toEqual(['p:oslo-p-0']);
    expect(
      dashboard(models)
        .snapshot(viewer(), now)
        .activity.map((item) => item.id),
    ).toEqual(['p:bergen-p-0', 'p:oslo-p-0']);
  });
});

describe('recent activity', () => {
  const terminal = (n: number, refund = false): TerminalDoc => ({
    storeId: 'oslo',
    terminalId: 'T-1',
    status: 'idle',
    position: String(n),
    lastOutcome: {
      paymentId: `p-${n}`,
      status: 'captured',
      amount: n,
      currency: 'NOK',
      at: `2026-11-24T10:00:${String(n).padStart(2, '0')}.000Z`,
    },
    ...(refund
      ? {
          lastRefund: {
            paymentId: `p-${n}`,
            refundId: `r-${n}`,
            status: 'refunded' as const,
            amount: 1,
            currency: 'NOK',
            at: `2026-11-24T10:00:${String(n).padStart(2, '0')}.500Z`,
          },
        }
      : {}),
  });

  it('holds an end anew when it changed: a refund failed for Dintero’s silence, then shown made', () => {
    const refunded = (status: 'refunded' | 'refund_failed', at: string, position: string): TerminalDoc => ({
      storeId: 'oslo',
      terminalId: 'T-1',
      status: 'idle',
      lastRefund: { paymentId: 'p1', refundId: 'r1', status, amount: 4_000, currency: 'NOK', at },
      position,
    });
    const activity = new RecentActivity(50);
    const failed = refunded('refund_failed', '2026-12-04T09:15:00.000Z', '10');
    activity.note(failed);
    // Made, at a time of Dintero's before the failure was concluded (its result named only the request): later in
    // the log, so it stands.
    const now = refunded('refunded', '2026-12-04T09:14:40.000Z', '20');
    activity.note(now);
    const shown = (terminals: TerminalDoc[]) =>
      newestActivity(activity.candidates('oslo', terminals), 50).map(({ id, status, at }) => ({ id, status, at }));
    const expected = [{ id: 'r:r1', status: 'refunded', at: '2026-12-04T09:14:40.000Z' }];
    expect(shown([now])).toEqual(expected);
    expect(shown([])).toEqual(expected);
    // A version earlier in the log, seen late (a first view read from an older document), changes nothing.
    activity.note(failed);
    expect(shown([failed])).toEqual(expected);
  });

  it('keeps the newest ends of a store, each once, refunds included, at most as many as asked', () => {
    const activity = new RecentActivity(3);
    for (let n = 1; n <= 4; n++) activity.note(terminal(n, n === 4));
    activity.note(terminal(4, true));
    const newest = (storeId: string, terminals: TerminalDoc[]) =>
      newestActivity(activity.candidates(storeId, terminals), 3).map((item) => item.id);
    expect(newest('oslo', [])).toEqual(['r:r-4', 'p:p-4', 'p:p-3']);
    expect(newest('oslo', [terminal(5)])).toEqual(['p:p-5', 'r:r-4', 'p:p-4']);
    expect(newest('bergen', [])).toEqual([]);
  });

  it("keeps each store's list as a sort of everything noted would give it, whatever order the ends come in", () => {
    const perStore = 5;
    const activity = new RecentActivity(perStore);
    const expected = new Map<string, ActivityItem[]>();
    // A fixed pseudo-random sequence: out-of-order instants, ties, refunds, and ends seen again changed.
    let seed = 7;
    const next = (below: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % below;
    for (let step = 0; step < 400; step++) {
      const storeId = `s-${next(3)}`;
      const n = next(30);
      const second = String(next(20)).padStart(2, '0');
      const doc: TerminalDoc = {
        ...terminal(n, next(3) === 0),
        storeId,
        lastOutcome: {
          paymentId: `p-${n}`,
          status: next(2) === 0 ? 'captured' : 'declined',
          amount: step,
          currency: 'NOK',
          at: `2026-11-24T10:00:${second}.000Z`,
        },
      };
      activity.note(doc);
      const items = activityOf(doc);
      expected.set(storeId, newestActivity([...(expected.get(storeId) ?? []), ...items], perStore));
      expect(activity.candidates(storeId, [])).toEqual(expected.get(storeId));
    }
  });
});
