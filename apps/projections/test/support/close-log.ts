import type { RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../../test/support/terminal-close-events';
import { documentProblem } from '../../src/read-models/document-schemas';
import { ReadModelProjector } from '../../src/read-models/read-model.projector';

const iso = (ms: number) => new Date(ms).toISOString();

/** A close's totals as the terminal reports them: `purchasesCount` purchases of 100, no reversals. */
export const totals = (purchasesCount: number) => ({
  purchasesCount,
  purchasesAmount: purchasesCount * 100,
  reversalsCount: 0,
  reversalsAmount: 0,
});

/**
 * The log of store `oslo` and its terminal `T-1` (`terminalCloseEvents`), registered at midnight (UTC) of `day`, for
 * the tests of a terminal's closes. Each builder pushes its events as the test calls it: the log's order is the order
 * of the test's lines. A close is asked for by an operator, held 15 minutes, for `day` unless given; its outcome is
 * heard of at `heardAt` of the instant the terminal closed (a second after, unless given).
 */
export function closeLog(day: string, heardAt = (closedAt: number) => closedAt + 1_000) {
  const close = terminalCloseEvents(logOfEvents());
  const midnight = iso(Date.parse(`${day}T00:00:00Z`));
  const log: RecordedEvent[] = [close.storeRegistered(midnight), close.terminalRegistered(midnight)];
  // The device the terminal's name has by the log so far: a close is sent to it, as the command service sends it.
  let device: string | undefined;
  const requested = (operationId: string, requestedAt: number, businessDay = day) =>
    log.push(
      close.requested(operationId, {
        requestedBy: 'operator',
        requestedAt: iso(requestedAt),
        expiresAt: iso(requestedAt + 900_000),
        businessDay,
        ...(device === undefined ? {} : { device }),
      }),
    );
  /** Its outcome: the terminal closed at `closedAt`, with its batch's totals (`batch`) or without. */
  const completed = (operationId: string, closedAt: number, batch?: Record<string, unknown>, businessDay = day) =>
    log.push(
      close.completed(operationId, {
        at: iso(heardAt(closedAt)),
        dinteroAt: iso(closedAt),
        batch: batch && { batchId: operationId, ...batch },
        businessDay,
      }),
    );
  const failed = (operationId: string, when: number, businessDay = day) =>
    log.push(close.failed(operationId, { at: iso(when), businessDay }));
  /** A sale at `when`, sent to `device` when given (it names none otherwise). */
  const sale = (paymentId: string, when: number, device?: string) =>
    log.push(...close.sale(paymentId, iso(when), 100, 'NOK', device));
  /** A refund of sale `paymentId` at `when` (100), sent to `device` when given. */
  const refund = (paymentId: string, refundId: string, when: number, device?: string) =>
    log.push(...close.refund(paymentId, refundId, iso(when), device));
  const enrolled = (enrolledDevice: string, when: number) => {
    device = enrolledDevice;
    log.push(close.enrolled(enrolledDevice, iso(when)));
  };
  /** `count` sales `prefix-0`, `prefix-1`…, a second apart from `from`. */
  const sales = (prefix: string, from: number, count: number) => {
    for (let i = 0; i < count; i++) sale(`${prefix}-${i}`, from + i * 1_000);
  };
  /** The log folded from its start, in memory. */
  const fold = () => {
    const projector = new ReadModelProjector();
    for (const each of log) projector.apply(each);
    return projector;
  };
  /** The log folded, the terminal's document and its store day's (of `date`) valid by the schema, and the day's closes. */
  const foldedDay = (date = day) => {
    const projector = fold();
    const terminal = projector.terminal('oslo', 'T-1')!;
    expect(documentProblem('terminal', terminal)).toBeUndefined();
    const storeDay = projector.storeDay('oslo', date)!;
    expect(documentProblem('store-day', storeDay)).toBeUndefined();
    return { terminal, day: storeDay, close: (id: string) => storeDay.closes?.[id] };
  };
  /**
   * A close let go of beyond the 50 kept pending (`let-go`, asked for at 16:00, then `stuck-0`…`stuck-49`), a close of
   * the old device `D-OLD` (`old-2`, at 17:00, for `old2Day`) pending at the swap to `D-NEW` at 17:30, and a sale
   * of the old device before them (`old`, at 10:00). `stuckEnded` ends the stuck closes without closing (at 17:35).
   */
  const letGoBeforeSwap = (old2Day = day) => {
    const at = (time: string) => Date.parse(`${day}T${time}Z`);
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('10:00:00'));
    requested('let-go', at('16:00:00'));
    for (let i = 0; i < 50; i++) requested(`stuck-${i}`, at('16:00:00'));
    requested('old-2', at('17:00:00'), old2Day);
    enrolled('D-NEW', at('17:30:00'));
    return {
      stuckEnded: () => {
        for (let i = 0; i < 50; i++) failed(`stuck-${i}`, at('17:35:00'));
      },
    };
  };
  return { log, requested, completed, failed, sale, refund, sales, enrolled, fold, foldedDay, letGoBeforeSwap };
}
