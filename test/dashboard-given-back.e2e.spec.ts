import { randomUUID } from 'node:crypto';
import { dashboardInChromium } from './support/dashboard';
import { event } from './support/payment-events';

/**
 * The dashboard in a real Chromium shows finance the money given back that no terminal's batch holds: refunds made at
 * Dintero by none of the engine's (`refundedElsewhere`), a late capture's days of its refunds (`refundedOn`), and the
 * rest of a refund made elsewhere listed on a later day than its first part (`continued`).
 */
describe('the dashboard: money given back elsewhere', () => {
  const storeId = 'given-back-store';
  const dashboard = dashboardInChromium('given-back');
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  it('shows refunds made at Dintero, and a late capture with the days it was given back on, live and as loaded', async () => {
    const now = Date.now();
    const at = new Date(now - 60_000).toISOString();
    // The store keeps UTC days: 24 hours back is the day before.
    const yesterdayAt = new Date(now - 86_400_000).toISOString();
    const [today, yesterday] = [day(now), day(now - 86_400_000)];
    await dashboard.log.append(
      `store-${storeId}`,
      [
        event(
          'StoreRegistered',
          { storeId, name: 'Given back store', payoutDestinationId: 'p', timeZone: 'UTC', at: yesterdayAt },
          { storeId },
        ),
        event('TerminalRegistered', { storeId, terminalId: 'T-1', at: yesterdayAt }, { storeId }),
      ],
      { expectedRevision: 'no_stream' },
    );
    const requested = (ids: Record<string, string>, amount: number, currency: string, when: string) =>
      event(
        'PaymentRequested',
        {
          ...ids,
          amount,
          currency,
          merchantReference: 'R-1',
          posClientId: 'test',
          claimId: ids.paymentId,
          requestedAt: when,
          expiresAt: when,
        },
        ids,
      );
    // A sale today, of which NOK 50.00 was given back in Dintero's Backoffice.
    const sale = { paymentId: randomUUID(), storeId, terminalId: 'T-1' };
    await dashboard.log.append(
      `payment-${sale.paymentId}`,
      [
        requested(sale, 25_000, 'NOK', at),
        event(
          'PaymentCaptured',
          { transactionId: 'tx-sale', amount: 25_000, currency: 'NOK', source: 'callback', at },
          sale,
        ),
        event(
          'ExternalRefundRecorded',
          {
            transactionId: 'tx-sale',
            amount: 5_000,
            currency: 'NOK',
            refundedElsewhere: 5_000,
            source: 'webhook',
            at,
            dinteroAt: at,
          },
          sale,
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    // A payment cancelled yesterday whose transaction Dintero captured anyway (EUR 10.00): EUR 4.00 given back in the
    // Backoffice yesterday, its rest of EUR 2.00 recorded today (Dintero gave no time of it), EUR 3.00 by a refund of
    // ours today.
    const late = { paymentId: randomUUID(), storeId, terminalId: 'T-1' };
    const elsewhere = (amount: number, refundedElsewhere: number, when: Record<string, string>, continued = false) =>
      event(
        'ExternalRefundRecorded',
        {
          transactionId: 'tx-late',
          amount,
          currency: 'EUR',
          refundedElsewhere,
          lateCapture: true,
          ...(continued ? { continued: true } : {}),
          source: 'webhook',
          ...when,
        },
        late,
      );
    await dashboard.log.append(
      `payment-${late.paymentId}`,
      [
        requested(late, 1_000, 'EUR', yesterdayAt),
        event('PaymentCancelled', { by: 'customer', source: 'callback', at: yesterdayAt }, late),
        event(
          'LateCaptureRecorded',
          {
            transactionId: 'tx-late',
            amount: 1_000,
            currency: 'EUR',
            endedAs: 'cancelled',
            flaggedForReversal: true,
            source: 'webhook',
            at: yesterdayAt,
          },
          late,
        ),
        elsewhere(400, 400, { at: yesterdayAt, dinteroAt: yesterdayAt }),
        elsewhere(200, 600, { at }, true),
      ],
      { expectedRevision: 'no_stream' },
    );

    const page = await dashboard.signedIn();
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 30_000 });
    const card = page.locator(`article.store[data-store-id="${storeId}"]`);
    const todayLine = (currency: string) =>
      card.locator(`ul[data-role="today"] li[data-currency="${currency}"] [data-role="refunded-elsewhere"]`);
    await todayLine('NOK').waitFor({ timeout: 30_000 });
    expect(await todayLine('NOK').textContent()).toMatch(
      /^ \(of them NOK\s50\.00 in 1 refund made at Dintero by none of the engine's, at no terminal\)$/,
    );
    // The rest of yesterday's refund: money today, and no refund more.
    expect(await todayLine('EUR').textContent()).toMatch(/of them €2\.00 in the rest of a refund made at Dintero/);
    const capture = card.locator('li[data-role="late-capture"][data-transaction-id="tx-late"]');
    await capture.waitFor({ timeout: 30_000 });
    expect(await capture.textContent()).toBe(
      `${yesterday} · T-1: €10.00 captured late (payment ${late.paymentId}, transaction tx-late), given back on ${yesterday}, ${today}`,
    );
    const refunds = card.locator('li[data-role="late-capture-refund"]');
    expect(await refunds.count()).toBe(2);
    expect(await refunds.nth(0).getAttribute('data-elsewhere')).toBe('yes');
    expect(await refunds.nth(0).getAttribute('data-continued')).toBeNull();
    expect(await refunds.nth(0).textContent()).toMatch(
      new RegExp(`^${yesterday}: €4\\.00 given back of payment ${late.paymentId} \\(transaction tx-late\\) at Dintero`),
    );
    expect(await refunds.nth(1).getAttribute('data-continued')).toBe('yes');
    expect(await refunds.nth(1).textContent()).toMatch(
      new RegExp(`^${today}: €2\\.00 .*, the rest of a refund listed on an earlier day: no refund more`),
    );
    // The last seven days: yesterday's refunds made at Dintero beside its net.
    await card.locator('details.week summary').click();
    expect(await card.locator(`tr[data-date="${yesterday}"] td[data-role="refunded-elsewhere"]`).textContent()).toBe(
      '1 · €4.00',
    );

    // Live: a refund of ours of the late capture today marks it, and is listed with its terminal.
    const refundId = randomUUID();
    await dashboard.log.append(
      `payment-${late.paymentId}`,
      [
        event(
          'RefundRequested',
          {
            refundId,
            amount: 300,
            currency: 'EUR',
            transactionId: 'tx-late',
            terminalId: 'T-1',
            claimId: refundId,
            by: 'test',
            at,
          },
          late,
        ),
        event('RefundSucceeded', { refundId, source: 'callback', at, dinteroAt: at }, late),
      ],
      { expectedRevision: 'stream_exists' },
    );
    const ours = card.locator('li[data-role="late-capture-refund"]', { hasText: `by refund ${refundId} at T-1` });
    await ours.waitFor({ timeout: 30_000 });
    expect(await ours.textContent()).toMatch(new RegExp(`^${today}: €3\\.00 given back of payment ${late.paymentId}`));
    expect(await capture.textContent()).toMatch(new RegExp(`given back on ${yesterday}, ${today}$`));
    await page.close();
  });
});
