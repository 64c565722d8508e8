import { randomUUID } from 'node:crypto';
import { dashboardInChromium } from './support/dashboard';
import { event } from './support/payment-events';

/**
 * The dashboard's problem strip in a real Chromium: the two reasons a payment is handed to a person (Dintero
 * reported its outcome as unknown, or its session is over while Dintero's transaction is not final), each saying
 * which, since when, and what to do, in the store's time zone; and a close that disagrees with the log, in its
 * currency.
 */

/** A close that Dintero completed with `batch`'s figures, on its operation's stream. */
const closeCompleted = (
  operationId: string,
  batch: Readonly<Record<string, unknown>>,
  at: string,
  metadata: Readonly<Record<string, string>>,
) =>
  event(
    'OperationCompleted',
    { operationId, dinteroOperationId: `d-${operationId}`, batch, at, dinteroAt: at },
    { ...metadata, operationId },
  );

/** A close that Dintero completed with an empty batch, on its operation's stream. */
const emptyCloseCompleted = (
  operationId: string,
  batchId: string,
  at: string,
  metadata: Readonly<Record<string, string>>,
) =>
  closeCompleted(
    operationId,
    { batchId, purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, reversalsAmount: 0 },
    at,
    metadata,
  );

/** A terminal's nightly close given up, on its attempt's operation stream. */
const closeGivenUp = (
  on: { readonly storeId: string; readonly terminalId: string },
  operationId: string,
  close: { readonly businessDay: string; readonly attempts: number; readonly reason: string; readonly at: string },
) => event('CloseGivenUp', { operationId, ...on, ...close }, { ...on, operationId });

describe('the dashboard: what it hands to a person, in words', () => {
  const storeId = 'review-store';
  const dashboard = dashboardInChromium('review');
  const signedIn = () => dashboard.signedIn();
  /** A terminal's batch 000042, closed by Dintero a second from now with `batch`'s figures. */
  const closedNow = async (on: { storeId: string; terminalId: string }, batch: Readonly<Record<string, unknown>>) => {
    const operationId = randomUUID();
    const at = new Date(Date.now() + 1_000).toISOString();
    await dashboard.log.append(
      `operation-${operationId}`,
      [closeCompleted(operationId, { batchId: '000042', ...batch }, at, on)],
      { expectedRevision: 'no_stream' },
    );
  };

  /** A payment's first event, as the command service writes it. */
  const requested = (
    ids: { paymentId: string; storeId: string; terminalId: string },
    amount: number,
    currency: string,
    at: string,
  ) =>
    event(
      'PaymentRequested',
      {
        ...ids,
        amount,
        currency,
        merchantReference: `R-${ids.terminalId}`,
        posClientId: 'test',
        claimId: ids.paymentId,
        requestedAt: at,
        expiresAt: at,
      },
      ids,
    );

  /** A payment on `terminalId` that Dintero left to a person for `reason`, since 09:15 UTC (10:15 in Oslo). */
  const flagged = async (terminalId: string, reason: 'outcome_unknown' | 'not_final') => {
    const paymentId = randomUUID();
    const ids = { paymentId, storeId, terminalId };
    const since = '2026-12-04T09:15:00.000Z';
    await dashboard.log.append(
      `payment-${paymentId}`,
      [
        requested(ids, 10_040, 'NOK', since),
        event('SessionCreated', { sessionId: `s-${terminalId}`, expiresAt: since, at: since }, ids),
        event('PaymentFlaggedForReview', { reason, transactionId: `tx-${terminalId}`, since, at: since }, ids),
      ],
      { expectedRevision: 'no_stream' },
    );
    return paymentId;
  };

  it('says which reason, since when in the store’s time, and to check before taking the payment again', async () => {
    const at = new Date().toISOString();
    await dashboard.log.append(
      `store-${storeId}`,
      [
        event(
          'StoreRegistered',
          { storeId, name: 'Review store', payoutDestinationId: 'p', timeZone: 'Europe/Oslo', at },
          { storeId },
        ),
        ...['T-UNKNOWN', 'T-NOTFINAL'].map((terminalId) =>
          event('TerminalRegistered', { storeId, terminalId, at }, { storeId }),
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    const unknown = await flagged('T-UNKNOWN', 'outcome_unknown');
    const notFinal = await flagged('T-NOTFINAL', 'not_final');

    const page = await signedIn();
    await page.waitForSelector('#connection[data-state="live"]');

    const entry = (terminalId: string) =>
      page.locator('#problem-list li[data-kind="unknown"]', { hasText: `Review store · ${terminalId}` });
    await entry('T-NOTFINAL').waitFor({ timeout: 30_000 });
    await entry('T-UNKNOWN').waitFor({ timeout: 30_000 });
    expect(await entry('T-NOTFINAL').textContent()).toMatch(
      new RegExp(
        `^Review store · T-NOTFINAL: not final at Dintero, its session over since .*10:15.*\\. ` +
          `Check the terminal's receipt or Dintero's Backoffice before taking payment ${notFinal} again\\.$`,
      ),
    );
    expect(await entry('T-UNKNOWN').textContent()).toMatch(
      new RegExp(
        `^Review store · T-UNKNOWN: outcome unknown at Dintero since .*10:15.*\\. ` +
          `Check the terminal's receipt or Dintero's Backoffice before taking payment ${unknown} again\\.$`,
      ),
    );
    await page.close();
  });

  it('says which refund has no outcome at Dintero, since when, and that its amount stays committed', async () => {
    const paymentId = randomUUID();
    const ids = { paymentId, storeId, terminalId: 'T-UNKNOWN' };
    const since = '2026-12-04T09:15:00.000Z';
    /** A refund asked for at `terminalId` that Dintero accepted and never finished, flagged for a person. */
    const stalledRefund = (refundId: string, amount: number, terminalId: string) => [
      event('RefundRequested', { refundId, amount, terminalId, claimId: refundId, by: 'test', at: since }, ids),
      event('RefundFlaggedForReview', { refundId, amount, terminalId, reason: 'not_final', since, at: since }, ids),
    ];
    await dashboard.log.append(
      `payment-${paymentId}`,
      [
        requested(ids, 25_000, 'NOK', since),
        event(
          'PaymentCaptured',
          { transactionId: 'tx-r', amount: 25_000, currency: 'NOK', source: 'callback', at: since },
          ids,
        ),
        ...stalledRefund('refund-1', 4_000, 'T-NOTFINAL'),
        // A second refund, done at a terminal of another store of the chain.
        ...stalledRefund('refund-2', 1_000, 'B-1'),
      ],
      { expectedRevision: 'no_stream' },
    );
    await dashboard.log.append(
      'store-bergen-review',
      [
        event(
          'StoreRegistered',
          { storeId: 'bergen-review', name: 'Bergen', payoutDestinationId: 'p', timeZone: 'Europe/Oslo', at: since },
          { storeId: 'bergen-review' },
        ),
        event(
          'TerminalRegistered',
          { storeId: 'bergen-review', terminalId: 'B-1', at: since },
          { storeId: 'bergen-review' },
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    const page = await signedIn();
    const entry = (refundId: string) =>
      page.locator('#problem-list li[data-kind="refund-review"]', { hasText: `refund ${refundId})` });
    await entry('refund-1').waitFor({ timeout: 30_000 });
    expect(await entry('refund-1').textContent()).toMatch(
      new RegExp(
        `^Review store · T-NOTFINAL: refund of NOK\\s40\\.00 accepted by Dintero and not finished, asked for .*10:15.*\\. ` +
          `Check Dintero's Backoffice \\(payment ${paymentId}, refund refund-1\\) before refunding again: its amount stays committed until Dintero says\\.$`,
      ),
    );
    // Named and linked in the store of the terminal it was done at.
    await entry('refund-2').waitFor({ timeout: 30_000 });
    expect(await entry('refund-2').textContent()).toMatch(
      /^Bergen · B-1 \(a payment of Review store\): refund of NOK\s10\.00 /,
    );
    expect(await entry('refund-2').locator('a').getAttribute('href')).toBe('#terminal-bergen-review-B-1');
    await page.close();
  });

  /**
   * A store of Iceland that takes ISK and EUR: a terminal's close whose batch holds both, and one whose batch holds
   * ISK only. Dintero's batch gives no currency, so the first can only be compared as a sum; ISK has no minor unit.
   */
  it('words a close in its currency, and one of several currencies as the terminal’s sum beside the log’s per currency', async () => {
    const iceland = 'close-store';
    const now = new Date().toISOString();
    const ids = (terminalId: string, extra: Record<string, string> = {}) => ({
      storeId: iceland,
      terminalId,
      ...extra,
    });
    await dashboard.log.append(
      `store-${iceland}`,
      [
        event(
          'StoreRegistered',
          {
            storeId: iceland,
            name: 'Reykjavik',
            payoutDestinationId: 'p',
            timeZone: 'Atlantic/Reykjavik',
            currencies: ['EUR', 'ISK'],
            at: now,
          },
          { storeId: iceland },
        ),
        ...['T-MIXED', 'T-ISK'].map((terminalId) =>
          event('TerminalRegistered', { ...ids(terminalId), at: now }, ids(terminalId)),
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    const captured = async (terminalId: string, amount: number, currency: string) => {
      const paymentId = randomUUID();
      const on = ids(terminalId, { paymentId });
      await dashboard.log.append(
        `payment-${paymentId}`,
        [
          requested({ paymentId, storeId: iceland, terminalId }, amount, currency, now),
          event(
            'PaymentCaptured',
            { transactionId: `tx-${paymentId}`, amount, currency, source: 'callback', at: now },
            on,
          ),
        ],
        { expectedRevision: 'no_stream' },
      );
    };
    const closed = (terminalId: string, purchasesCount: number, purchasesAmount: number) =>
      closedNow(ids(terminalId), { purchasesCount, purchasesAmount, reversalsCount: 0, reversalsAmount: 0 });
    await captured('T-MIXED', 5_000, 'ISK');
    await captured('T-MIXED', 3_000, 'EUR');
    await closed('T-MIXED', 2, 9_000);
    await captured('T-ISK', 5_000, 'ISK');
    await closed('T-ISK', 1, 5_500);

    const page = await signedIn();
    const entry = (terminalId: string) =>
      page.locator('#problem-list li[data-kind="close-mismatch"]', { hasText: `Reykjavik · ${terminalId}` });
    await entry('T-MIXED').waitFor({ timeout: 30_000 });
    await entry('T-ISK').waitFor({ timeout: 30_000 });
    expect(await entry('T-MIXED').textContent()).toMatch(
      /differs from the log: the terminal \(its sum of EUR and ISK\): 2 purchases \(9000 in minor units\), 0 refunds \(0 in minor units\); the log: EUR: 1 purchase \(€30\.00\), 0 refunds \(€0\.00\); ISK: 1 purchase \(ISK\s5,000\), 0 refunds \(ISK\s0\)\.$/,
    );
    expect(await entry('T-ISK').textContent()).toMatch(
      /differs from the log: the terminal: 1 purchase \(ISK\s5,500\), 0 refunds \(ISK\s0\); the log: 1 purchase \(ISK\s5,000\), 0 refunds \(ISK\s0\)\.$/,
    );
    await page.close();
  });

  it('says of a captured payment flagged for review that it was captured, and what Dintero shows beyond its sale', async () => {
    const kiosk = 'captured-review-store';
    const at = new Date().toISOString();
    await dashboard.log.append(
      `store-${kiosk}`,
      [
        event(
          'StoreRegistered',
          { storeId: kiosk, name: 'Kiosk', payoutDestinationId: 'p', timeZone: 'Europe/Oslo', at },
          { storeId: kiosk },
        ),
        event('TerminalRegistered', { storeId: kiosk, terminalId: 'T-C', at }, { storeId: kiosk }),
      ],
      { expectedRevision: 'no_stream' },
    );
    // Captured in NOK; Dintero then shows its transaction captured further in SEK, which cannot be booked.
    const paymentId = randomUUID();
    const ids = { paymentId, storeId: kiosk, terminalId: 'T-C' };
    const since = '2026-12-04T09:15:00.000Z';
    const problem = `Dintero transaction tx-c is CAPTURED in SEK, but payment ${paymentId} is in NOK: nothing was booked`;
    await dashboard.log.append(
      `payment-${paymentId}`,
      [
        requested(ids, 10_000, 'NOK', since),
        event(
          'PaymentCaptured',
          { transactionId: 'tx-c', amount: 10_000, currency: 'NOK', source: 'callback', at: since },
          ids,
        ),
        event(
          'PaymentFlaggedForReview',
          { reason: 'not_settleable', transactionId: 'tx-c', since, problem, at: since },
          ids,
        ),
      ],
      { expectedRevision: 'no_stream' },
    );

    const page = await signedIn();
    const entry = page.locator('#problem-list li', { hasText: 'Kiosk · T-C' });
    await entry.waitFor({ timeout: 30_000 });
    // Not "its session over" and "before taking payment … again": the payment was taken, and its sale is booked.
    expect(await entry.getAttribute('data-kind')).toBe('unbookable-capture');
    expect(await entry.textContent()).toMatch(
      new RegExp(
        '^Kiosk · T-C: captured, and Dintero shows a further capture of its transaction in another currency, which ' +
          `the engine cannot book, since .*10:15.*\\. Dintero transaction tx-c is CAPTURED in SEK, but payment ` +
          `${paymentId} is in NOK: nothing was booked\\. Check payment ${paymentId} in Dintero's Backoffice: the ` +
          'further capture is in no total here\\.$',
      ),
    );
    await page.close();
  });

  it('says a close whose only mismatch is a figure the terminal gave unreadable could not be checked, not that it differs', async () => {
    const tromso = 'unreadable-close-store';
    const now = new Date().toISOString();
    const on = (terminalId: string, extra: Record<string, string> = {}) => ({ storeId: tromso, terminalId, ...extra });
    await dashboard.log.append(
      `store-${tromso}`,
      [
        event(
          'StoreRegistered',
          { storeId: tromso, name: 'Tromsø', payoutDestinationId: 'p', timeZone: 'Europe/Oslo', at: now },
          { storeId: tromso },
        ),
        ...['T-UNREAD', 'T-DIFFERS', 'T-NONE'].map((terminalId) =>
          event('TerminalRegistered', { ...on(terminalId), at: now }, on(terminalId)),
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    /** One sale of NOK 100.00 on `terminalId`, then its close with `batch` (its purchases' sum unreadable). */
    const soldAndClosed = async (terminalId: string, batch: Record<string, unknown>) => {
      const paymentId = randomUUID();
      await dashboard.log.append(
        `payment-${paymentId}`,
        [
          requested({ paymentId, storeId: tromso, terminalId }, 10_000, 'NOK', now),
          event(
            'PaymentCaptured',
            { transactionId: `tx-${paymentId}`, amount: 10_000, currency: 'NOK', source: 'callback', at: now },
            on(terminalId, { paymentId }),
          ),
        ],
        { expectedRevision: 'no_stream' },
      );
      await closedNow(on(terminalId), batch);
    };
    const unreadableSum = { unreadable: ['purchasesAmount'], reversalsCount: 0, reversalsAmount: 0 };
    await soldAndClosed('T-UNREAD', { purchasesCount: 1, ...unreadableSum });
    // Two purchases where the log has one: a difference, whatever the unreadable sum.
    await soldAndClosed('T-DIFFERS', { purchasesCount: 2, ...unreadableSum });
    // Every figure unreadable: none is left to agree with the log.
    await soldAndClosed('T-NONE', {
      unreadable: ['purchasesCount', 'purchasesAmount', 'reversalsCount', 'reversalsAmount'],
    });

    const page = await signedIn();
    const entry = (terminalId: string) =>
      page.locator('#problem-list li[data-kind="close-mismatch"]', { hasText: `Tromsø · ${terminalId}` });
    await entry('T-UNREAD').waitFor({ timeout: 30_000 });
    await entry('T-DIFFERS').waitFor({ timeout: 30_000 });
    expect(await entry('T-UNREAD').textContent()).toMatch(
      new RegExp(
        '^Tromsø · T-UNREAD: its end of day \\d{4}-\\d{2}-\\d{2} \\(batch 000042\\) cannot be checked against the log, ' +
          "as the terminal's purchase amount could not be read \\(its other figures agree with the log\\): " +
          'the terminal: 1 purchase \\(an unknown amount\\), 0 refunds \\(NOK\\s0\\.00\\); ' +
          'the log: 1 purchase \\(NOK\\s100\\.00\\), 0 refunds \\(NOK\\s0\\.00\\)\\. ' +
          "Read the batch's totals on the terminal or in Dintero's Backoffice\\.$",
      ),
    );
    await entry('T-NONE').waitFor({ timeout: 30_000 });
    expect(await entry('T-NONE').textContent()).toMatch(
      new RegExp(
        '^Tromsø · T-NONE: its end of day \\d{4}-\\d{2}-\\d{2} \\(batch 000042\\) cannot be checked against the log, ' +
          "as the terminal's number of purchases, purchase amount, number of refunds and refund amount could not be " +
          'read: the terminal: an unknown number of purchases \\(an unknown amount\\), an unknown number of refunds ' +
          '\\(an unknown amount\\); the log: 1 purchase \\(NOK\\s100\\.00\\), 0 refunds \\(NOK\\s0\\.00\\)\\. ' +
          "Read the batch's totals on the terminal or in Dintero's Backoffice\\.$",
      ),
    );
    expect(await entry('T-DIFFERS').textContent()).toMatch(
      /differs from the log: the terminal: 2 purchases \(an unknown amount\), 0 refunds \(NOK\s0\.00\); the log: 1 purchase \(NOK\s100\.00\), 0 refunds \(NOK\s0\.00\)\.$/,
    );
    await page.close();
  });

  it('says a close whose log figures are not known could not be checked, not that it differs', async () => {
    const bergen = 'close-let-go-store';
    const now = new Date().toISOString();
    const on = { storeId: bergen, terminalId: 'T-LOST' };
    await dashboard.log.append(
      `store-${bergen}`,
      [
        event(
          'StoreRegistered',
          { storeId: bergen, name: 'Bergen', payoutDestinationId: 'p', timeZone: 'Europe/Oslo', at: now },
          { storeId: bergen },
        ),
        event('TerminalRegistered', { ...on, at: now }, on),
      ],
      { expectedRevision: 'no_stream' },
    );
    const paymentId = randomUUID();
    await dashboard.log.append(
      `payment-${paymentId}`,
      [
        requested({ paymentId, ...on }, 10_000, 'NOK', now),
        event(
          'PaymentCaptured',
          { transactionId: `tx-${paymentId}`, amount: 10_000, currency: 'NOK', source: 'callback', at: now },
          { ...on, paymentId },
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    // 51 closes asked for that never end: the first is let go of (the batch keeps the latest 50 pending).
    const ids = Array.from({ length: 51 }, () => randomUUID());
    for (const operationId of ids)
      await dashboard.log.append(
        `operation-${operationId}`,
        [
          event(
            'OperationRequested',
            {
              operationId,
              ...on,
              dinteroTerminalId: 'D-LOST',
              operation: 'end_of_day',
              claimId: operationId,
              requestedBy: 'operator',
              requestedAt: now,
              expiresAt: now,
            },
            { ...on, operationId },
          ),
        ],
        { expectedRevision: 'no_stream' },
      );
    // Its outcome comes after all, agreeing with the log's one sale: the log's side is not known all the same.
    const at = new Date(Date.now() + 1_000).toISOString();
    await dashboard.log.append(
      `operation-${ids[0]!}`,
      [
        closeCompleted(
          ids[0]!,
          { batchId: '000042', purchasesCount: 1, purchasesAmount: 10_000, reversalsCount: 0, reversalsAmount: 0 },
          at,
          on,
        ),
      ],
      { expectedRevision: 0 },
    );

    const page = await signedIn();
    const entry = page.locator('#problem-list li[data-kind="close-mismatch"]', { hasText: 'Bergen · T-LOST' });
    await entry.waitFor({ timeout: 30_000 });
    expect(await entry.textContent()).toMatch(
      new RegExp(
        '^Bergen · T-LOST: its end of day \\d{4}-\\d{2}-\\d{2} \\(batch 000042\\) cannot be checked against the log, ' +
          "as the log's figures of its batch are not known \\(its outcome came after more sales, or more closes " +
          'pending, than the engine keeps while a close pends\\): the terminal: 1 purchase \\(NOK\\s100\\.00\\), ' +
          "0 refunds \\(NOK\\s0\\.00\\)\\. Count the batch's sales in Dintero's Backoffice\\.$",
      ),
    );
    await page.close();
  });

  it('says which terminal’s nightly close was given up, for which day, why, and to close it by hand', async () => {
    const oslo = 'given-up-store';
    const now = new Date().toISOString();
    const today = now.slice(0, 10);
    const on = { storeId: oslo, terminalId: 'T-NC' };
    await dashboard.log.append(
      `store-${oslo}`,
      [
        event(
          'StoreRegistered',
          { storeId: oslo, name: 'Lisbon', payoutDestinationId: 'p', timeZone: 'UTC', currencies: ['EUR'], at: now },
          { storeId: oslo },
        ),
        event('TerminalRegistered', { ...on, at: now }, on),
      ],
      { expectedRevision: 'no_stream' },
    );
    const operationId = `nightly-close-${oslo}-T-NC-${today}-3`;
    await dashboard.log.append(
      `operation-${operationId}`,
      [
        closeGivenUp(on, operationId, {
          businessDay: today,
          attempts: 3,
          reason: 'the terminal reported a failure',
          at: now,
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    const page = await signedIn();
    const entry = page.locator('#problem-list li[data-kind="close-given-up"]', { hasText: 'Lisbon · T-NC' });
    await entry.waitFor({ timeout: 30_000 });
    expect(await entry.textContent()).toBe(
      `Lisbon · T-NC: its end of day ${today} was not closed, given up after 3 attempts (the terminal reported a failure). ` +
        "Close its batch by hand (an end_of_day operation) once the cause is mended, and check it against Dintero's Backoffice.",
    );
    // Closed by hand since: the strip lets it go (the day keeps the give-up).
    const byHand = randomUUID();
    const closedAt = new Date(Date.now() + 1_000).toISOString();
    await dashboard.log.append(`operation-${byHand}`, [emptyCloseCompleted(byHand, '000007', closedAt, on)], {
      expectedRevision: 'no_stream',
    });
    await page.locator('#problem-list li[data-kind="close-given-up"]').waitFor({ state: 'detached', timeout: 30_000 });
    await page.close();
  });

  it('lets a given-up close go once a device swapped in closes by hand, while a close of the old device still pends', async () => {
    const lisbon = 'swapped-given-up-store';
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const today = iso(now).slice(0, 10);
    const on = { storeId: lisbon, terminalId: 'T-SW' };
    const enrolled = (device: string, at: string) =>
      event(
        'TerminalEnrolled',
        { ...on, dinteroTerminalId: device, deviceSerialNumber: `S-${device}`, status: 'ACTIVE', at },
        on,
      );
    await dashboard.log.append(
      `store-${lisbon}`,
      [
        event(
          'StoreRegistered',
          {
            storeId: lisbon,
            name: 'Porto',
            payoutDestinationId: 'p',
            timeZone: 'UTC',
            currencies: ['EUR'],
            at: iso(now),
          },
          { storeId: lisbon },
        ),
        event('TerminalRegistered', { ...on, at: iso(now) }, on),
        enrolled('D-OLD', iso(now)),
      ],
      { expectedRevision: 'no_stream' },
    );
    // The old device's close never ends; the till is swapped while it pends.
    const stuck = randomUUID();
    const asked = iso(now + 1_000);
    await dashboard.log.append(
      `operation-${stuck}`,
      [
        event(
          'OperationRequested',
          {
            operationId: stuck,
            ...on,
            dinteroTerminalId: 'D-OLD',
            operation: 'end_of_day',
            claimId: stuck,
            requestedBy: 'nightly-close',
            requestedAt: asked,
            expiresAt: asked,
          },
          { ...on, operationId: stuck },
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    await dashboard.log.append(`store-${lisbon}`, [enrolled('D-NEW', iso(now + 2_000))], {
      expectedRevision: 'stream_exists',
    });
    const givenUp = `nightly-close-${lisbon}-T-SW-${today}-3`;
    await dashboard.log.append(
      `operation-${givenUp}`,
      [
        closeGivenUp(on, givenUp, {
          businessDay: today,
          attempts: 3,
          reason: 'the terminal timed out',
          at: iso(now + 3_000),
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    const page = await signedIn();
    const entry = page.locator('#problem-list li[data-kind="close-given-up"]', { hasText: 'Porto · T-SW' });
    await entry.waitFor({ timeout: 30_000 });
    // The new device closes by hand: its close waits in the terminal's list while the old device's pends, not as its
    // last close, and the strip lets the give-up go all the same.
    const byHand = randomUUID();
    const closedAt = iso(now + 4_000);
    await dashboard.log.append(`operation-${byHand}`, [emptyCloseCompleted(byHand, '000008', closedAt, on)], {
      expectedRevision: 'no_stream',
    });
    await entry.waitFor({ state: 'detached', timeout: 30_000 });
    await page.close();
  });

  it('lets a close given up as superseded go when the next day’s close ran while it still pended', async () => {
    // The close of yesterday pended at Dintero for 24 hours (the terminal freed after the claim's time); today's close
    // closed the batch, yesterday's sales with it, and then yesterday's timed out and was given up. T-B's give-up, with
    // no close since, shows that the day has reached the page.
    const porto = 'superseded-given-up-store';
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const today = iso(now).slice(0, 10);
    const yesterday = iso(now - 86_400_000).slice(0, 10);
    const on = { storeId: porto, terminalId: 'T-A' };
    await dashboard.log.append(
      `store-${porto}`,
      [
        event(
          'StoreRegistered',
          {
            storeId: porto,
            name: 'Braga',
            payoutDestinationId: 'p',
            timeZone: 'UTC',
            currencies: ['EUR'],
            at: iso(now),
          },
          { storeId: porto },
        ),
        event('TerminalRegistered', { ...on, at: iso(now) }, on),
        event('TerminalRegistered', { storeId: porto, terminalId: 'T-B', at: iso(now) }, { storeId: porto }),
      ],
      { expectedRevision: 'no_stream' },
    );
    const requested = (operationId: string, businessDay: string, at: string) =>
      event(
        'OperationRequested',
        {
          operationId,
          ...on,
          dinteroTerminalId: 'D-A',
          operation: 'end_of_day',
          claimId: operationId,
          requestedBy: 'nightly-close',
          requestedAt: at,
          expiresAt: at,
          businessDay,
        },
        { ...on, operationId, businessDay },
      );
    const stuck = randomUUID();
    await dashboard.log.append(`operation-${stuck}`, [requested(stuck, yesterday, iso(now))], {
      expectedRevision: 'no_stream',
    });
    const next = randomUUID();
    const closedAt = iso(now + 1_000);
    await dashboard.log.append(
      `operation-${next}`,
      [requested(next, today, closedAt), emptyCloseCompleted(next, '000009', closedAt, { ...on, businessDay: today })],
      { expectedRevision: 'no_stream' },
    );
    const givenUp = (terminalId: string, operationId: string) =>
      event(
        'CloseGivenUp',
        {
          operationId,
          storeId: porto,
          terminalId,
          businessDay: yesterday,
          attempts: 1,
          reason: 'the close of today fell due before it could be tried again (timed_out)',
          at: iso(now + 3_000),
        },
        { storeId: porto, terminalId, operationId },
      );
    await dashboard.log.append(
      `operation-${stuck}`,
      [
        event(
          'OperationEnded',
          { operationId: stuck, outcome: 'timed_out', reason: 'no outcome in 24 hours', at: iso(now + 2_000) },
          { ...on, operationId: stuck, businessDay: yesterday },
        ),
        givenUp('T-A', stuck),
      ],
      { expectedRevision: 'stream_exists' },
    );
    const other = randomUUID();
    await dashboard.log.append(`operation-${other}`, [givenUp('T-B', other)], { expectedRevision: 'no_stream' });
    const page = await signedIn();
    const entries = page.locator('#problem-list li[data-kind="close-given-up"]', { hasText: 'Braga' });
    await entries.filter({ hasText: 'Braga · T-B' }).waitFor({ timeout: 30_000 });
    expect(await entries.allInnerTexts()).toEqual([expect.stringContaining('Braga · T-B')]);
    await page.close();
  });

  it('shows amounts in ISO 4217 minor units, where a currency’s usual display has no decimals (HUF)', async () => {
    const budapest = 'huf-store';
    const now = new Date().toISOString();
    const on = { storeId: budapest, terminalId: 'T-HUF' };
    await dashboard.log.append(
      `store-${budapest}`,
      [
        event(
          'StoreRegistered',
          {
            storeId: budapest,
            name: 'Budapest',
            payoutDestinationId: 'p',
            timeZone: 'Europe/Budapest',
            currencies: ['HUF'],
            at: now,
          },
          { storeId: budapest },
        ),
        event('TerminalRegistered', { ...on, at: now }, on),
      ],
      { expectedRevision: 'no_stream' },
    );
    const paymentId = randomUUID();
    await dashboard.log.append(
      `payment-${paymentId}`,
      [
        requested({ paymentId, ...on }, 10_000, 'HUF', now),
        event(
          'PaymentCaptured',
          { transactionId: `tx-${paymentId}`, amount: 10_000, currency: 'HUF', source: 'callback', at: now },
          { ...on, paymentId },
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    const page = await signedIn();
    const line = page.locator('[data-role="today"] li[data-currency="HUF"]');
    await line.waitFor({ timeout: 30_000 });
    // 10,000 hundredths of a forint: 100.00, not 10,000.
    expect(await line.textContent()).toMatch(/HUF\s100\.00/);
    await page.close();
  });

  it('comes back by itself once the dashboard answers again after a proxy’s 502, as a wall display must', async () => {
    const page = await signedIn();
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 30_000 });
    let failing = true;
    await page.route(/\/v1\/dashboard\/(stream|session)$/, (route) =>
      failing ? route.fulfill({ status: 502, body: 'Bad Gateway' }) : route.continue(),
    );
    // What EventSource does after a dropped stream: it opens it again, here to the proxy's 502.
    await page.evaluate(() => (globalThis as unknown as { connect(): void }).connect());
    await page.waitForSelector('#connection[data-state="lost"]', { timeout: 10_000 });
    expect(await page.locator('#connection').textContent()).toBe('the dashboard answered 502: trying again');
    failing = false;
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 20_000 });
    await page.close();
  });
});
