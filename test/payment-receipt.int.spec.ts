import { randomUUID } from 'node:crypto';
import { headers } from '@nats-io/transport-node';
import type { DinteroTransaction } from '@app/dintero';
import { natsNames } from '@app/messaging';
import { startEngine, type Engine } from './support/engine';
import { HQ } from './support/pos-clients';
import { simulatorClient } from './support/simulator';

/**
 * A POS that took a card prints the terminal's receipt and shows the card from the payment's view, over HTTP and
 * over NATS request/reply: the texts the terminal (the simulator) wrote, as Dintero's transaction carries them, and
 * the metadata the POS gave at the start. Real apps, one SQLite file, the real NATS server, the simulator.
 */
describe("a card payment's receipt and card, as the POS reads them", () => {
  let engine: Engine;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    engine = await startEngine();
    await engine.terminals('rc-oslo', 'RC-1');
  });
  afterAll(() => engine.close());

  /** A payment at RC-1 the card is presented to, and its view once final. */
  const paid = async (amount: number) => {
    const response = await engine.command.fetch('/v1/terminal-payments', {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({
        storeId: 'rc-oslo',
        terminalId: 'RC-1',
        amount,
        currency: 'NOK',
        merchantReference: `RC-${amount}`,
        metadata: { till: '3', basket: 'b-17' },
      }),
    });
    expect(response.status).toBe(201);
    const { paymentId } = (await response.json()) as { paymentId: string };
    await engine.sim.control('POST', '/terminals/RC-1/present', {});
    const read = await engine.command.fetch(`/v1/terminal-payments/${paymentId}?waitFor=final&timeout=20`, {});
    expect(read.status).toBe(200);
    const view = (await read.json()) as Record<string, unknown> & { transactionId: string };
    await engine.terminalFree('RC-1');
    // What the terminal wrote, as Dintero shows it.
    const tx = await simulatorClient(engine.sim).getTransaction(view.transactionId);
    const written = tx.events!.find((event) => event.metadata?.['seitatech:customerReceipt'])!.metadata!;
    return { paymentId, view, tx, written };
  };

  const cardOf = (tx: DinteroTransaction) => ({
    brand: tx.card!.brand,
    maskedPan: tx.card!.masked_pan,
    type: tx.card!.type,
    entryMethod: tx.card!.entry_method,
  });

  it('shows a captured payment’s card and receipts, over HTTP and over NATS alike', async () => {
    const { paymentId, view, tx, written } = await paid(39_900);
    const receipt = {
      terminalTransactionId: written['seitatech:uniqueId'],
      receiptNumber: written['seitatech:receiptNumber'],
      customerReceipt: written['seitatech:customerReceipt'],
      merchantReceipt: written['seitatech:merchantReceipt'],
    };
    expect(view).toMatchObject({
      status: 'captured',
      card: cardOf(tx),
      receipt,
      metadata: { till: '3', basket: 'b-17' },
    });
    // The simulator writes no second parts: none is made up.
    expect(Object.keys(view['receipt'] as object).sort()).toEqual(Object.keys(receipt).sort());
    expect(receipt.customerReceipt).toContain('CUSTOMER COPY');
    expect(receipt.merchantReceipt).toContain('MERCHANT COPY');
    // The till prints it.
    process.stdout.write(`customer receipt of ${paymentId}:\n${String(receipt.customerReceipt)}\n`);

    const auth = headers();
    auth.set('Authorization', `Bearer ${HQ.key}`);
    const reply = await engine.nats.request(natsNames(engine.prefix).queries.payment, JSON.stringify({ paymentId }), {
      timeout: 10_000,
      headers: auth,
    });
    expect(reply.json()).toEqual({ status: 200, body: view });
  });

  it('shows a declined payment’s card and receipts: the till prints the refusal too', async () => {
    const { view, tx, written } = await paid(39_954);
    expect(view).toMatchObject({
      status: 'declined',
      receipt: {
        receiptNumber: written['seitatech:receiptNumber'],
        customerReceipt: written['seitatech:customerReceipt'],
        merchantReceipt: written['seitatech:merchantReceipt'],
      },
    });
    expect(written['seitatech:customerReceipt']).toContain('DECLINED');
    // The card when Dintero shows the one refused (the simulator's declines carry none), and none made up.
    expect(view['card']).toEqual(tx.card ? cardOf(tx) : undefined);
  });

  it('shows a refund’s receipts, as the terminal the cardholder confirmed it at wrote them', async () => {
    const { paymentId, view: sale } = await paid(39_900);
    const response = await engine.command.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ amount: 10_000, terminalId: 'RC-1' }),
    });
    expect(response.status).toBe(201);
    const refund = (await response.json()) as { refundId: string; status: string; receipt?: Record<string, string> };
    expect(refund.status).toBe('succeeded');
    const tx = await simulatorClient(engine.sim).getTransaction(sale.transactionId);
    const written = tx.events!.find((event) => event.event === 'REFUND')!.metadata!;
    const receipt = {
      terminalTransactionId: written['seitatech:uniqueId'],
      receiptNumber: written['seitatech:receiptNumber'],
      customerReceipt: written['seitatech:customerReceipt'],
      merchantReceipt: written['seitatech:merchantReceipt'],
    };
    expect(receipt.customerReceipt).toContain('REFUND 100.00');
    expect(refund.receipt).toEqual(receipt);
    // The payment's view lists it with its receipt; the sale keeps its own.
    const read = await engine.command.fetch(`/v1/terminal-payments/${paymentId}`, {});
    const after = (await read.json()) as { refunds: { receipt?: object }[]; receipt: object };
    expect(after.refunds.map((each) => each.receipt)).toEqual([receipt]);
    expect(after.receipt).toEqual(sale['receipt']);
    await engine.terminalFree('RC-1');
  });
});
