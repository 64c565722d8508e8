import type { RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { ReadModelProjector } from '../src/read-models/read-model.projector';

/**
 * One end-of-day close that never ends (no outcome recorded), and a nightly close each day after it that does,
 * 300 sales a day. The terminal document keeps at most 1,000 facts with their times (`MAX_COUNTED_WHILE_CLOSING`), and
 * stays well below NATS's 1 MiB max_payload, which a KV put of it must fit in.
 */
const START = Date.parse('2026-09-01T06:00:00.000Z');
const DAY = 86_400_000;

function theLog(days: number, perDay: number, nightsEnd = true): RecordedEvent[] {
  const close = terminalCloseEvents(logOfEvents());
  const iso = (ms: number) => new Date(ms).toISOString();
  // The requests name no store day (in data or metadata), as a log recorded before they did; the completions do.
  const requested = (operationId: string, at: number) =>
    close.requested(operationId, { requestedBy: 'nightly-close', requestedAt: iso(at), expiresAt: iso(at) });
  const log: RecordedEvent[] = [
    close.storeRegistered(iso(START)),
    close.terminalRegistered(iso(START)),
    requested('stuck', START),
  ];
  for (let d = 0; d < days; d++) {
    for (let i = 0; i < perDay; i++) {
      log.push(...close.sale(`p-${d}-${i}`, iso(START + d * DAY + 3_600_000 + i * 60_000)));
    }
    const operationId = `night-${d}`;
    const cut = START + d * DAY + 17 * 3_600_000;
    log.push(requested(operationId, cut - 60_000));
    if (!nightsEnd) continue;
    log.push(
      close.completed(operationId, {
        batch: {
          batchId: operationId,
          purchasesCount: perDay,
          purchasesAmount: perDay * 100,
          reversalsCount: 0,
          reversalsAmount: 0,
        },
        at: iso(cut),
        dinteroAt: iso(cut),
        businessDay: iso(cut).slice(0, 10),
      }),
    );
  }
  return log;
}

describe('the closes kept while one close never ends', () => {
  it('keeps at most 1,000 facts with their times, and the document within a NATS message', () => {
    const projector = new ReadModelProjector();
    for (const e of theLog(40, 300)) projector.apply(e);
    const terminal = projector.terminal('oslo', 'T-1')!;
    const open = terminal.openBatch!;
    const kept =
      (open.countedWhileClosing?.length ?? 0) +
      (open.closedWhileClosing ?? []).reduce((sum, { counted }) => sum + counted.length, 0);
    const bytes = Buffer.byteLength(JSON.stringify(terminal));
    expect(kept).toBeLessThanOrEqual(1_000);
    expect(bytes).toBeLessThan(1_048_576);
  });
});

describe('the closes kept while one close never ends, on a terminal with no sales', () => {
  // With no sale to count, nothing checked the bound: each nightly close stayed in the list, some 450 bytes a night.
  const sizeAfter = (nights: number) => {
    const projector = new ReadModelProjector();
    for (const e of theLog(nights, 0)) projector.apply(e);
    return { projector, bytes: Buffer.byteLength(JSON.stringify(projector.terminal('oslo', 'T-1'))) };
  };

  it('grows no further than the bound lets the closes it keeps, each close still compared on its store day', () => {
    // The closes ended while the stuck one pends weigh five facts each: 200 of them fill the bound, which lets go of
    // them at the next (the stuck close still pending), so the document is at its largest after 399 nights.
    const { bytes: largest } = sizeAfter(399);
    const { projector, bytes } = sizeAfter(900);
    // Under 1,000 facts' worth at its largest, and no larger after 900 nights.
    expect(largest).toBeLessThan(100_000);
    expect(bytes).toBeLessThanOrEqual(largest);
    const terminal = projector.terminal('oslo', 'T-1')!;
    expect(terminal.lastClose).toMatchObject({ operationId: 'night-899', mismatch: false });
    for (let d = 0; d < 900; d++) {
      const date = new Date(START + d * DAY).toISOString().slice(0, 10);
      expect(projector.storeDay('oslo', date)?.closes?.[`night-${d}`]).toMatchObject({
        recorded: { purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, reversalsAmount: 0 },
        mismatch: false,
      });
    }
  });
});

describe('the closes kept pending when no close ends, night after night', () => {
  // Each night's close pends for good: the batch kept every one's id, one more a night, past the 1,000 facts too.
  it('keeps the latest 50 pending, and the document no larger after 900 nights than after 100', () => {
    const after = (nights: number) => {
      const projector = new ReadModelProjector();
      for (const e of theLog(nights, 50, false)) projector.apply(e);
      return projector.terminal('oslo', 'T-1')!;
    };
    const bytes = (terminal: object) => Buffer.byteLength(JSON.stringify(terminal));
    const hundred = after(100);
    const terminal = after(900);
    expect(terminal.openBatch?.closing).toEqual(Array.from({ length: 50 }, (_, i) => `night-${850 + i}`));
    expect(bytes(terminal)).toBeLessThanOrEqual(bytes(hundred) + 1_000);
  });
});
