import { endsPayment, followsPaymentEnd, isReviewEvent, type PaymentEvent } from '@app/payment-domain';
import type { PaymentFacts } from './projections/fact';
import { LatelyEnded } from './lately-ended';

/**
 * What the projector keeps of a payment after its end, beyond its facts: what only events written by earlier versions
 * need (absent when the payment has none of it).
 */
interface KeptAfterEnd {
  /**
   * Transactions captured late so far: versions before `capturedAmount` was kept on `LateCaptureRecorded` recorded a
   * transaction's later parts without it, and such a part is one more of a transaction already counted.
   */
  lateCaptured?: Set<string>;
  /** The currency of each transaction captured late in another currency than the payment's. */
  lateCurrencies?: Map<string, string>;
  /**
   * The store days each transaction captured late may be listed on (`lateCaptures`), by transaction (see
   * `noteLateDay`): a refund of it marks its entries there as given back (`refundedOn`).
   */
  lateDays?: Map<string, Set<string>>;
  /**
   * The store days refunds of each transaction captured late are listed on (`lateCaptureRefunds`), by transaction: a
   * part of it captured after one of them is marked given back on those days (`refundedOn`) as the earlier parts are.
   */
  lateRefundDays?: Map<string, Set<string>>;
  /**
   * Refunds failed for Dintero's silence (`noTrace`), with their amounts and terminals: versions before Dintero's
   * later no (a second `RefundFailed`) carried them recorded it without them.
   */
  failedForSilence?: Map<string, Refunded>;
}

/**
 * A refund as the projector keeps it: `transactionId` when it gives back money captured late; `currency` as its
 * `RefundRequested` names it (absent on events of versions before it was kept).
 */
type Refunded = {
  readonly amount: number;
  readonly terminalId: string;
  /** The device it was sent to (`dinteroTerminalId`), when its request names one. */
  readonly device?: string;
  readonly transactionId?: string;
  readonly currency?: string;
};

export interface PaymentContext extends PaymentFacts, KeptAfterEnd {
  /**
   * Refunds asked for and not yet ended, with their amounts and the terminals they run on: undefined until the first
   * is asked for (most payments have none, and an empty map for each was a map more for every payment the fold met).
   */
  refunds: Map<string, Refunded> | undefined;
  /** Ended and its terminal released: then it is forgotten (a late refund reads it back from the log). */
  ended: boolean;
  released: boolean;
}

/**
 * What the projector keeps of each payment (its store, terminal, amount and open refunds), from its start to its
 * end and release: the open payments, and those ended lately, which a refund or a late fact takes back.
 */
export class PaymentMemory {
  private readonly payments = new Map<string, PaymentContext>();
  /**
   * Payments forgotten lately (ended, released, no refund under way), at most `ENDED_KEPT`: a refund or a late
   * fact of one of them takes it from here rather than reading its stream back from the log.
   */
  private readonly ended = new LatelyEnded<PaymentFacts & KeptAfterEnd>(ENDED_KEPT);

  /** The payment, when it is held (open, or with a refund under way). */
  get(paymentId: string): PaymentContext | undefined {
    return this.payments.get(paymentId);
  }

  /** The payments held: the open ones and those with a refund under way (the ended are let go). */
  get size(): number {
    return this.payments.size;
  }

  /** The payment's terminal released from its claim: an ended payment with no refund under way is then forgotten. */
  release(paymentId: string): void {
    const payment = this.payments.get(paymentId);
    if (payment) {
      payment.released = true;
      this.forgetIfDone(paymentId, payment);
    }
  }

  /**
   * What the projector keeps of a payment, after one of its events: its start, its open refunds, its end.
   * Returns the payment (as it was before this event may let it be forgotten; undefined when unknown) and the
   * amount of the refund the event ends (0 for any other event). `readBack`: an event read back from the log
   * after the payment ended, whose terminal was released long ago.
   */
  remember(
    paymentId: string,
    event: PaymentEvent,
    readBack: boolean,
  ): {
    payment: PaymentContext | undefined;
    refundAmount: number;
    refundTerminalId?: string;
    /** The device the refund the event ends was sent to, when its request named one. */
    refundDevice?: string;
    refundOfLateCapture?: string;
    laterLatePart?: true;
    /** The currency of the money the event moves, when it is not the payment's (`Fact.moneyCurrency`). */
    moneyCurrency?: string;
  } {
    if (event.type === 'PaymentRequested' && !this.payments.has(paymentId)) {
      const { storeId, terminalId, amount, currency, dinteroTerminalId } = event.data;
      this.payments.set(paymentId, {
        storeId,
        terminalId,
        amount,
        currency,
        device: dinteroTerminalId,
        refunds: undefined,
        ended: false,
        released: false,
      });
    }
    const payment = this.payments.get(paymentId);
    let refundAmount = 0;
    let refundTerminalId: string | undefined;
    let refundDevice: string | undefined;
    let refundOfLateCapture: string | undefined;
    let laterLatePart: true | undefined;
    /** The currency the event (or the refund it ends) names, when it names one. */
    let refundCurrency: string | undefined;
    if (!payment) return { payment, moneyCurrency: undefined, refundAmount, laterLatePart: undefined };
    switch (event.type) {
      case 'RefundRequested': {
        const { refundId, amount, terminalId, transactionId, currency, dinteroTerminalId } = event.data;
        (payment.refunds ??= new Map()).set(refundId, {
          amount,
          terminalId,
          ...(dinteroTerminalId ? { device: dinteroTerminalId } : {}),
          ...(transactionId ? { transactionId } : {}),
          ...(currency ? { currency } : {}),
        });
        break;
      }
      case 'RefundSucceeded':
      case 'RefundFailed': {
        // A second failure (Dintero's no after its silence) carries what the memory forgot on the first.
        // Recorded without them by earlier versions: the failure for silence before it had them. The memory's first,
        // where it kept it: the event names no late capture the refund gave back from, and so no currency of its.
        const { refundId } = event.data;
        const refund =
          payment.refunds?.get(refundId) ??
          payment.failedForSilence?.get(refundId) ??
          (event.type === 'RefundFailed' && event.data.amount !== undefined && event.data.terminalId !== undefined
            ? { amount: event.data.amount, terminalId: event.data.terminalId }
            : undefined);
        refundAmount = refund?.amount ?? 0;
        refundTerminalId = refund?.terminalId;
        refundDevice = refund?.device;
        refundOfLateCapture = refund?.transactionId;
        refundCurrency = refund?.currency ?? (event.type === 'RefundFailed' ? event.data.currency : undefined);
        payment.refunds?.delete(refundId);
        payment.failedForSilence?.delete(refundId);
        if (event.type === 'RefundFailed' && event.data.noTrace && refund)
          (payment.failedForSilence ??= new Map()).set(refundId, refund);
        if (!readBack) this.forgetIfDone(paymentId, payment);
        break;
      }
      // A refund failed for silence, made after all: the event carries what the memory forgot on its failure.
      case 'LateRefundRecorded':
        refundAmount = event.data.amount;
        refundTerminalId = event.data.terminalId;
        // Kept only of a refund failed for silence: one Dintero refused itself and then made says it on the event.
        refundOfLateCapture =
          event.data.transactionId ?? payment.failedForSilence?.get(event.data.refundId)?.transactionId;
        refundCurrency = event.data.currency ?? payment.failedForSilence?.get(event.data.refundId)?.currency;
        payment.failedForSilence?.delete(event.data.refundId);
        break;
      case 'LateCaptureRecorded': {
        const { transactionId, currency } = event.data;
        if (payment.lateCaptured?.has(transactionId)) laterLatePart = true;
        else (payment.lateCaptured ??= new Set()).add(transactionId);
        if (currency !== payment.currency) (payment.lateCurrencies ??= new Map()).set(transactionId, currency);
        break;
      }

      default:
        if (endsPayment(event.type)) {
          payment.ended = true;
          if (readBack) payment.released = true;
          else this.forgetIfDone(paymentId, payment);
        }
    }
    // Money after the end, or a review (a refund's, or a captured payment's: a further capture in another currency,
    // or a person's word on either), may have brought the payment back (see `knows`): an ended one goes again. Whether
    // it ended is the memory's to say (`forgetIfDone`), not the event's: one taken back is ended.
    const afterEnd = followsPaymentEnd(event.type) || isReviewEvent(event.type);
    if (afterEnd && !readBack) this.forgetIfDone(paymentId, payment);
    // The late capture the money is of: the event's own, the one its refund gives back from, or one refunded elsewhere.
    const lateOf =
      event.type === 'LateCaptureRecorded' || (event.type === 'ExternalRefundRecorded' && event.data.lateCapture)
        ? event.data.transactionId
        : event.type === 'RefundFlaggedForReview'
          ? (payment.refunds?.get(event.data.refundId) ?? payment.failedForSilence?.get(event.data.refundId))
              ?.transactionId
          : refundOfLateCapture;
    // The currency the event names, where it names one (refund events since it was kept); else, for events of
    // versions before, the late capture's as the projector remembers it, or the payment's.
    const named =
      event.type === 'ExternalRefundRecorded'
        ? event.data.currency
        : event.type === 'RefundFlaggedForReview'
          ? (event.data.currency ??
            (payment.refunds?.get(event.data.refundId) ?? payment.failedForSilence?.get(event.data.refundId))?.currency)
          : refundCurrency;
    const derived = lateOf === undefined ? undefined : payment.lateCurrencies?.get(lateOf);
    const moneyCurrency = named ?? derived;
    // Each named, undefined when absent: one shape for every event, and no spread of an object made for one field.
    return {
      payment,
      moneyCurrency: moneyCurrency || undefined,
      refundAmount,
      refundTerminalId: refundTerminalId || undefined,
      refundDevice: refundDevice || undefined,
      refundOfLateCapture: refundOfLateCapture || undefined,
      laterLatePart,
    };
  }

  /** Memory follows the open payments: an ended, released payment with no refund under way is dropped. */
  private forgetIfDone(paymentId: string, payment: PaymentContext): void {
    if (!payment.ended || !payment.released || (payment.refunds?.size ?? 0) > 0) return;
    this.payments.delete(paymentId);
    const { storeId, terminalId, amount, currency, lateCaptured, lateCurrencies, lateDays, lateRefundDays } = payment;
    const { failedForSilence, device } = payment;
    // Each named, undefined when absent (as a payment never ended has them): no spread of an object made for one field,
    // five of them for every payment.
    this.ended.add(paymentId, {
      storeId,
      terminalId,
      amount,
      currency,
      device,
      lateCaptured,
      lateCurrencies,
      lateDays,
      lateRefundDays,
      failedForSilence,
    });
  }

  /**
   * Whether the projector holds the payment, taking it back from the lately ended when it is there: as it was
   * forgotten (ended, released, no refund open), which is what reading its stream back would give, since
   * every event of it since passed here.
   */
  knows(paymentId: string): boolean {
    if (this.payments.has(paymentId)) return true;
    const facts = this.ended.take(paymentId);
    if (!facts) return false;
    this.payments.set(paymentId, { ...facts, refunds: undefined, ended: true, released: true });
    return true;
  }
}

/** Payments kept after they are forgotten (`ended`): about six minutes of a large chain at its peak (130/s). */
const ENDED_KEPT = 50_000;
