import type { RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import { totals } from './support/close-log';

/**
 * A terminal registered by the chain's name alone (`T-1`): its close is sent to that name, and while it pends the
 * terminal's first device is enrolled (`D-1`, no swap: the name named no device before). D-1's sale, sent to D-1, is
 * before the close by Dintero's clock: the terminal's batch held it. Heard of after the close ended, it is that close's,
 * where by the close's device (the name, not D-1) it was another device's, counted in the next batch: the close showed
 * it missing, the next close extra.
 */
const DAY = '2026-11-24';
const iso = (time: string) => `${DAY}T${time}.000Z`;

function foldedCloses(heardLate: boolean) {
  const close = terminalCloseEvents(logOfEvents());
  const log: RecordedEvent[] = [close.storeRegistered(iso('00:00:00')), close.terminalRegistered(iso('00:00:00'))];
  const request = (id: string, time: string, device: string) =>
    log.push(
      close.requested(id, {
        requestedBy: 'operator',
        requestedAt: iso(time),
        expiresAt: iso(time),
        businessDay: DAY,
        device,
      }),
    );
  const complete = (id: string, time: string, purchases: number) =>
    log.push(close.completed(id, { at: iso(time), dinteroAt: iso(time), batch: totals(purchases), businessDay: DAY }));
  request('name-1', '16:59:50', 'T-1');
  log.push(close.enrolled('D-1', iso('17:00:00')));
  const sale = close.sale('d1-sale', iso('17:05:00'), 100, 'NOK', 'D-1');
  if (!heardLate) log.push(...sale);
  complete('name-1', '17:10:00', 1);
  if (heardLate) log.push(...sale);
  request('d1-1', '18:00:00', 'D-1');
  complete('d1-1', '18:00:05', 0);
  const projector = new ReadModelProjector();
  for (const event of log) projector.apply(event);
  return projector.storeDay('oslo', DAY)?.closes;
}

describe('a close sent to the terminal’s own name, its first device enrolled while it pends', () => {
  it.each([
    ['heard of before the close ended', false],
    ['heard of after it', true],
  ])('counts that device’s sale dated before the close in it, %s', (_, heardLate) => {
    const closes = foldedCloses(heardLate);
    expect(closes?.['name-1']).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(closes?.['d1-1']).toMatchObject({ recorded: totals(0), mismatch: false });
  });
});
