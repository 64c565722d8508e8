import type { RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import { totals } from './support/close-log';

/**
 * A terminal registered by the chain's name alone: Dintero knows its device by that name (`T-1`), and the command
 * service sends its closes and, now, its sales to `T-1` (`dinteroTerminalId`). Its first device enrolled (`D-1`) is no
 * swap the fold keeps (the name named no device before); a second (`D-2`) swaps `D-1` out while the close asked of
 * `T-1` still pends. The sale sent to `T-1` before the close is that close's: by its device alone (neither `D-1` nor
 * the device that has the name) it was taken for the new device's, the close showed it missing, `D-2`'s close extra.
 */
const DAY = '2026-11-24';
const iso = (time: string) => `${DAY}T${time}.000Z`;

function foldedCloses(heardLate: boolean, device: string | undefined) {
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
  const [requested, captured] = close.sale('own-name', iso('16:59:55'), 100, 'NOK', device);
  request('name-1', '16:59:50', 'T-1');
  log.push(requested!);
  if (!heardLate) log.push(captured!);
  log.push(close.enrolled('D-1', iso('17:00:00')));
  log.push(close.enrolled('D-2', iso('17:10:00')));
  if (heardLate) log.push(captured!);
  complete('name-1', '17:20:00', 1);
  request('d2-1', '18:00:00', 'D-2');
  complete('d2-1', '18:00:05', 0);
  const projector = new ReadModelProjector();
  for (const event of log) projector.apply(event);
  return projector.storeDay('oslo', DAY)?.closes;
}

describe('a sale sent to a terminal Dintero knows by its own name, its close pending at the second device’s swap', () => {
  it.each([
    ['naming it, heard of before the swaps', false, 'T-1'],
    ['naming it, heard of after them', true, 'T-1'],
    ['naming none (recorded before the name was named), heard of before the swaps', false, undefined],
    ['naming none, heard of after them', true, undefined],
  ])('%s, is the close’s asked of that name', (_, heardLate, device) => {
    const closes = foldedCloses(heardLate, device);
    expect(closes?.['name-1']).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(closes?.['d2-1']).toMatchObject({ recorded: totals(0), mismatch: false });
  });
});
