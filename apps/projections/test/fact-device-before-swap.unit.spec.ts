import { closeLog, totals } from './support/close-log';

/**
 * The old device's close pends (asked for at 16:59:50) when a sale sent to the old device is heard of, before the swap
 * to the new device (17:00:00 by the engine's clock) reaches the log. Dintero's clock is a few seconds ahead of the
 * engine's: it dates the sale 17:00:02, after the swap's instant, and the close 17:00:05. The sale is the old device's,
 * in its close; kept with its time alone while no swap waited, it was told by that time at the swap, taken for the new
 * device's: the old close showed it missing, the new device's close extra.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('a sale sent to the old device while its close pends, heard of before the swap', () => {
  it.each([
    ['after the swap’s instant (its clock ahead), is', '17:00:02'],
    ['before it, is', '16:59:55'],
  ])('dated by Dintero %s the old device’s close’s', (_, saleAt) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('16:59:50'));
    sale('old', at(saleAt), 'D-OLD');
    enrolled('D-NEW', at('17:00:00'));
    completed('old-1', at('17:00:05'), totals(1));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(0));
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(0), mismatch: false });
  });

  it('a sale naming no device is still told by its time: after the swap, the new device’s', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('16:59:50'));
    sale('unnamed', at('17:00:02'));
    enrolled('D-NEW', at('17:00:00'));
    completed('old-1', at('17:00:05'), totals(0));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(1));
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(close('new-1')).toMatchObject({ recorded: totals(1), mismatch: false });
  });
});

/**
 * A terminal Dintero knows by the chain's own name (`T-1`, its device's id too), swapped for `D-NEW` while its close
 * pends, Dintero's clock a few seconds ahead of the engine's. The command service now names the device on every sale
 * (`PaymentRequested.dinteroTerminalId`), the name itself too: the sale is then the old device's close's, as any other
 * device's sale is. It left the name out then: such a sale, told by its time, is the new device's, and both closes show
 * a difference that is not there. Events are immutable: those recorded so are still read so.
 */
describe('a sale sent to a device known by the terminal’s own name, its close pending at a swap', () => {
  it.each([
    ['naming its device, is the old close’s', 'T-1', 1],
    ['naming none (recorded before it was named always), is still told by its time', undefined, 0],
  ])('dated by Dintero after the swap’s instant, %s', (_, device, oldCount) => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('T-1', at('00:00:00'));
    requested('old-1', at('16:59:50'));
    enrolled('D-NEW', at('17:00:00'));
    sale('old', at('17:00:02'), device);
    completed('old-1', at('17:00:05'), totals(1));
    requested('new-1', at('17:20:00'));
    completed('new-1', at('17:20:05'), totals(0));
    const { close } = log.foldedDay();
    const named = oldCount === 1;
    expect(close('old-1')).toMatchObject({ device: 'T-1', recorded: totals(oldCount), mismatch: !named });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(1 - oldCount), mismatch: !named });
  });
});

/**
 * The same sale (sent to the old device, dated 17:00:02 by Dintero's clock ahead of the engine's), then a thousand sales
 * of the new device while the old close still pends: past the bound of what the batch keeps, the old device's facts are
 * summed with the span of their times (`keptApart`), the sale alone. Cut at the swap's instant (17:00:00), they all
 * came after it and went to the batch swapped out: the close showed its sale missing (0 purchases against 1), where
 * kept with its time it was the close's.
 */
describe('a sale sent to the old device dated after the swap’s instant, past the bound before its close is heard of', () => {
  it('is still the old device’s close’s', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, sales, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('16:59:50'));
    sale('old', at('17:00:02'), 'D-OLD');
    enrolled('D-NEW', at('17:00:00'));
    sales('new', at('17:10:00'), 1_000);
    completed('old-1', at('17:00:05'), totals(1));
    requested('new-1', at('20:00:00'));
    completed('new-1', at('20:00:05'), totals(1_000));
    const { close } = log.foldedDay();
    expect(close('old-1')).toMatchObject({ device: 'D-OLD', recorded: totals(1), mismatch: false });
    expect(close('new-1')).toMatchObject({ device: 'D-NEW', recorded: totals(1_000), mismatch: false });
  });
});
