import { Inject, Injectable } from '@nestjs/common';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { SimulatorClock } from '../state/clock';
import { SimulatorRandom } from '../state/random';
import { SimulatorState, type SimSession, type SimTransaction, type TransactionEvent } from '../state/simulator-state';

/** Dintero's records of a payment made at a terminal: a new transaction, its events, the card it shows. */
@Injectable()
export class TransactionRecords {
  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly random: SimulatorRandom,
    private readonly clock: SimulatorClock,
  ) {}

  txEvent(
    event: string,
    status: string,
    success: boolean,
    amount?: number,
    extra?: Partial<
      Pick<TransactionEvent, 'event_reference' | 'request_id' | 'correlation_request_id' | 'error' | 'metadata'>
    >,
  ): TransactionEvent {
    return {
      id: this.random.id(this.config.accountId),
      event,
      transaction_status: status,
      success,
      created_at: this.clock.stamp(),
      ...(amount === undefined ? {} : { amount }),
      ...extra,
    };
  }

  transaction(session: SimSession, status: string, card?: SimTransaction['card']): SimTransaction {
    const created = this.clock.stamp();
    const tx: SimTransaction = {
      id: this.random.id(this.config.accountId),
      session_id: session.id,
      status,
      amount: session.order.amount,
      currency: session.order.currency,
      merchant_reference: session.order.merchant_reference,
      ...(session.order.merchant_reference_2 === undefined
        ? {}
        : { merchant_reference_2: session.order.merchant_reference_2 }),
      payment_product: 'seitatech',
      payment_product_type: 'seitatech.in_person',
      channel: 'in_store',
      payout_destination_id: session.order.store.payout_destination_id,
      store: session.order.store,
      ...(card ? { card } : {}),
      url: { ...(session.url.callback_url ? { callback_url: session.url.callback_url } : {}) },
      created_at: created,
      updated_at: created,
      events: [this.txEvent('INITIALIZE', 'INITIATED', true, session.order.amount)],
      capturedAmount: 0,
      refundedAmount: 0,
      refundingAmount: 0,
    };
    this.state.transactions.set(tx.id, tx);
    session.transaction_id = tx.id;
    this.state.touchPayment(session, tx);
    return tx;
  }

  /** The card as Dintero shows it on a transaction: its brand, type, entry method and masked number. */
  card(brand: string, type: string, entryMethod: string) {
    const bin = brand === 'MasterCard' ? '535310' : '476173';
    return {
      brand,
      masked_pan: `${bin}******${String(this.random.between(1000, 9999))}`,
      type,
      entry_method: entryMethod,
    };
  }
}

/** The transaction as Dintero's API shows it, without the simulator's bookkeeping. */
export function withoutInternals(
  tx: SimTransaction,
): Omit<SimTransaction, 'capturedAmount' | 'refundedAmount' | 'refundingAmount' | 'refundReasons' | 'captureDueAt'> {
  const {
    capturedAmount: _c,
    refundedAmount: _r,
    refundingAmount: _p,
    refundReasons: _w,
    captureDueAt: _d,
    ...visible
  } = tx;
  return visible;
}
