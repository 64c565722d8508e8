import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { dashboardInChromium } from './support/dashboard';
import { event } from './support/payment-events';

/**
 * The dashboard in a real Chromium as its day goes on: an end that changes after it was listed (a refund failed for
 * Dintero's silence, then shown made) is listed as it stands, live and after a reload; and a quiet store's card
 * stops showing a day's takings as today's once that day has ended in the store's zone.
 */
describe('the dashboard as the day goes on', () => {
  const storeId = 'activity-store';
  const dashboard = dashboardInChromium('activity');

  beforeAll(async () => {
    const at = new Date().toISOString();
    await dashboard.log.append(
      `store-${storeId}`,
      [
        event(
          'StoreRegistered',
          { storeId, name: 'Activity store', payoutDestinationId: 'p', timeZone: 'Europe/Oslo', at },
          { storeId },
        ),
        event('TerminalRegistered', { storeId, terminalId: 'T-1', at }, { storeId }),
      ],
      { expectedRevision: 'no_stream' },
    );
  });

  /** The dashboard in a new page, signed in and live; its clock from `clockAt` when given. */
  const signedIn = async (clockAt?: number): Promise<Page> => {
    const page = await dashboard.signedIn(clockAt);
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 30_000 });
    return page;
  };

  const capturedPayment = async (amount: number, at: string) => {
    const paymentId = randomUUID();
    const ids = { paymentId, storeId, terminalId: 'T-1' };
    await dashboard.log.append(
      `payment-${paymentId}`,
      [
        event(
          'PaymentRequested',
          {
            ...ids,
            amount,
            currency: 'NOK',
            merchantReference: 'R-1',
            posClientId: 'test',
            claimId: paymentId,
            requestedAt: at,
            expiresAt: at,
          },
          ids,
        ),
        event(
          'PaymentCaptured',
          { transactionId: `tx-${paymentId}`, amount, currency: 'NOK', source: 'callback', at },
          ids,
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    return { paymentId, ids };
  };

  it('lists a refund failed for Dintero’s silence and then shown made as refunded, live and after a reload', async () => {
    const at = new Date(Date.now() - 60_000).toISOString();
    const { paymentId, ids } = await capturedPayment(25_000, at);
    const failedAt = new Date(Date.now() - 30_000).toISOString();
    const refund = { refundId: 'refund-1', amount: 4_000, terminalId: 'T-1' };
    await dashboard.log.append(
      `payment-${paymentId}`,
      [
        event('RefundRequested', { ...refund, claimId: 'refund-1', by: 'test', at }, ids),
        event(
          'RefundFailed',
          { refundId: 'refund-1', reason: 'no trace at Dintero', noTrace: true, source: 'reconciler', at: failedAt },
          ids,
        ),
      ],
      { expectedRevision: 'any' },
    );
    const page = await signedIn();
    const listed = (on: Page, status: string) =>
      on.locator(`#activity li[data-kind="refund"][data-status="${status}"]`).waitFor({ timeout: 30_000 });
    await listed(page, 'refund_failed');
    await dashboard.log.append(
      `payment-${paymentId}`,
      // Made at Dintero before the failure was concluded (its result named only the request): an earlier time.
      [event('LateRefundRecorded', { ...refund, source: 'webhook', at: new Date().toISOString(), dinteroAt: at }, ids)],
      { expectedRevision: 'any' },
    );
    await listed(page, 'refunded');
    const reloaded = await signedIn();
    await listed(reloaded, 'refunded');
    expect(await reloaded.locator('#activity li[data-kind="refund"]').count()).toBe(1);
    await page.close();
    await reloaded.close();
  });

  it('lists both of two payments that end on one terminal between two writes of its document', async () => {
    const page = await signedIn();
    // Appended together: the projector folds both in one flush, and writes the terminal's document once.
    const [a, b] = await Promise.all([
      capturedPayment(1_100, new Date().toISOString()),
      capturedPayment(1_200, new Date().toISOString()),
    ]);
    const listed = (on: Page, paymentId: string) =>
      on.locator(`#activity li[data-payment-id="${paymentId}"]`).waitFor({ timeout: 30_000 });
    await listed(page, a.paymentId);
    await listed(page, b.paymentId);
    const reloaded = await signedIn();
    await listed(reloaded, a.paymentId);
    await listed(reloaded, b.paymentId);
    await page.close();
    await reloaded.close();
  });

  it('stops showing a day’s takings as today’s once the store’s day has ended, with nothing new to draw', async () => {
    const now = Date.now();
    await capturedPayment(39_900, new Date(now).toISOString());
    const page = await signedIn(now);
    const today = page.locator(`#stores article[data-store-id="${storeId}"] [data-role="today"]`);
    await today.locator('li[data-currency="NOK"]').waitFor({ timeout: 30_000 });
    const osloDate = (instant: number) =>
      new Intl.DateTimeFormat('en-CA', {
        timeZone: 'Europe/Oslo',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      }).format(instant);
    let midnight = now;
    while (osloDate(midnight) === osloDate(now)) midnight += 60_000;
    await page.clock.fastForward(midnight - now + 120_000);
    await today.getByText('No payments yet today', { exact: true }).waitFor({ timeout: 30_000 });
    expect(await today.textContent()).toBe('No payments yet today');
    await page.close();
  });
});
