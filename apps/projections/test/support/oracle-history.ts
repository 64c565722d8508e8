import type { RecordedEvent } from '@app/event-store';
import {
  DomainError,
  paymentDecider,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
} from '@app/payment-domain';

/**
 * Random but realistic histories for property tests of the read models: a few stores in far-apart time zones,
 * their terminals, payments in two currencies driven through the payment decider (so that every payment event is
 * one the engine can write), authorisations and their voids, sessions Dintero refused to create, refunds at any
 * terminal, external refunds, late captures (in either currency) and their refunds, ours and external, and end-of-day
 * closes, with Dintero's times around the stores' local midnights (a fact heard after one that Dintero dates before
 * it). A history is a list of steps (numbers) read by a small machine: a step that does not fit the history so far is
 * skipped, so any list shrinks to a smaller history.
 */
export type Step = readonly [kind: number, a: number, b: number, c: number];

export const STORES = [
  { storeId: 'kiri', timeZone: 'Pacific/Kiritimati', terminals: ['K-1', 'K-2'] },
  { storeId: 'pago', timeZone: 'Pacific/Pago_Pago', terminals: ['P-1'] },
  { storeId: 'oslo', timeZone: 'Europe/Oslo', terminals: ['O-1', 'O-2'] },
] as const;
const TERMINALS = STORES.flatMap((s) => s.terminals.map((terminalId) => ({ terminalId, storeId: s.storeId })));
const CURRENCIES = ['NOK', 'EUR'] as const;
const START = Date.parse('2026-12-01T08:00:00.000Z');
/** Local midnights in UTC hours: Kiritimati (+14) 10:00, Pago Pago (−11) 11:00, Oslo in winter (+1) 23:00. */
const MIDNIGHT_HOURS = [10, 11, 23];

interface Payment {
  readonly paymentId: string;
  readonly storeId: string;
  readonly terminalId: string;
  readonly currency: string;
  readonly amount: number;
  readonly requestedAt: number;
  state: PaymentState;
  /** Whether the session's creation was recorded (a payment without one can still be refused it). */
  session: boolean;
  /** Whether Dintero voided the rest of its partly captured transaction: nothing more of it is captured. */
  restVoided?: true;
  released: boolean;
  /** The payment's own transaction's captures (amount, Dintero's time). */
  captures: { amount: number; at?: string }[];
  /** A transaction captured after the payment ended, by its id: its captures. */
  late: Map<string, { amount: number; at?: string }[]>;
  /** The currency each transaction captured late was captured in. */
  lateCurrencies: Map<string, string>;
  /** Refunds made at Dintero by no refund of ours of each transaction captured late: the list Dintero shows. */
  lateExternal: Map<string, { before: number; refundedElsewhere: number; dinteroAt?: string }[]>;
  /** Refunds made at Dintero by no refund of ours: the list Dintero shows. */
  external: { before: number; refundedElsewhere: number; dinteroAt?: string }[];
  refunds: string[];
}

export function history(steps: readonly Step[]): RecordedEvent[] {
  const log: RecordedEvent[] = [];
  let clock = START;
  const iso = (ms: number) => new Date(ms).toISOString();
  const record = (streamName: string, type: string, data: object, metadata: Record<string, string> = {}) =>
    log.push({
      id: `e-${log.length + 1}`,
      type,
      data,
      metadata: { occurredAt: iso(clock), ...metadata },
      streamName,
      revision: 0,
      position: BigInt(log.length + 1),
    });
  for (const store of STORES) {
    record(`store-${store.storeId}`, 'StoreRegistered', {
      storeId: store.storeId,
      name: store.storeId,
      payoutDestinationId: 'p',
      timeZone: store.timeZone,
      at: iso(clock),
    });
    for (const terminalId of store.terminals)
      record(`store-${store.storeId}`, 'TerminalRegistered', { storeId: store.storeId, terminalId, at: iso(clock) });
  }
  const payments: Payment[] = [];
  /** What holds each terminal (its claim's id), if anything. */
  const claims = new Map<string, { claimId: string; paymentId: string; storeId: string }>();
  const operations: {
    operationId: string;
    terminalId: string;
    storeId: string;
    requestedAt: number;
    floor: number;
    overtaken?: boolean;
  }[] = [];
  const lastClose = new Map<string, number>();
  let ids = 0;

  const claim = (terminalId: string, claimId: string, kind: string, paymentId: string) => {
    const storeId = TERMINALS.find((t) => t.terminalId === terminalId)!.storeId;
    claims.set(terminalId, { claimId, paymentId, storeId });
    record(`terminal-${terminalId}`, 'TerminalClaimed', {
      terminalId,
      claimId,
      kind,
      paymentId,
      storeId,
      claimedAt: iso(clock),
      expiresAt: iso(clock + 300_000),
    });
  };
  const release = (terminalId: string, claimId: string) => {
    const held = claims.get(terminalId);
    if (held?.claimId !== claimId) return;
    claims.delete(terminalId);
    record(`terminal-${terminalId}`, 'TerminalReleased', {
      terminalId,
      claimId,
      paymentId: held.paymentId,
      storeId: held.storeId,
      reason: 'finished',
      at: iso(clock),
    });
  };
  /** The command through the decider: its events recorded, or nothing when the domain refuses it. */
  const run = (payment: Payment, command: PaymentCommand): PaymentEvent[] => {
    let events: PaymentEvent[];
    try {
      events = paymentDecider.decide(command, payment.state);
    } catch (error) {
      if (error instanceof DomainError) return [];
      throw error;
    }
    for (const event of events) {
      payment.state = paymentDecider.evolve(payment.state, event);
      record(`payment-${payment.paymentId}`, event.type, event.data);
    }
    return events;
  };
  /** Dintero's time of a fact now: up to `lag` seconds back, never before the payment started; none when `lag` says. */
  const dinteroAt = (payment: Payment, lag: number): string | undefined =>
    lag % 13 === 0
      ? undefined
      : iso(
          Math.max(payment.requestedAt + 1000, clock - (lag % 17 === 1 ? (lag % 300) * 3_600_000 : (lag % 200) * 1000)),
        );
  const status = (p: Payment) => p.state.status;
  const pick = <T>(items: readonly T[], n: number): T | undefined =>
    items.length === 0 ? undefined : items[n % items.length];
  const endPayment = (payment: Payment, releaseNow: boolean) => {
    if (releaseNow && !isOpen(payment)) {
      release(payment.terminalId, payment.paymentId);
      payment.released = true;
    }
  };
  const isOpen = (p: Payment) =>
    !['captured', 'declined', 'failed', 'cancelled', 'expired', 'voided', 'rejected'].includes(status(p));

  for (const [kind, a, b, c] of steps) {
    switch (kind % 22) {
      case 0: {
        // Time passes: seconds, or to just before one of the stores' next local midnight.
        if (a % 5 === 1 || a % 5 === 2) clock += (1 + (b % 8)) * 86_400_000 + (c % 3600) * 1000;
        else if (a % 3 === 0) clock += (1 + (b % 300)) * 1000;
        else clock = nextMidnight(clock, a) - (b % 240) * 1000;
        break;
      }
      case 1:
      case 2: {
        // A payment starts on a free terminal.
        const terminal = pick(TERMINALS, a)!;
        if (claims.has(terminal.terminalId)) break;
        const paymentId = `p${++ids}`;
        const amount = 100 * (1 + (b % 50));
        const payment: Payment = {
          paymentId,
          storeId: terminal.storeId,
          terminalId: terminal.terminalId,
          currency: CURRENCIES[c % 2]!,
          amount,
          requestedAt: clock,
          state: paymentDecider.initialState,
          session: c % 4 !== 0,
          released: false,
          captures: [],
          late: new Map(),
          lateCurrencies: new Map(),
          lateExternal: new Map(),
          external: [],
          refunds: [],
        };
        claim(terminal.terminalId, paymentId, 'payment', paymentId);
        payments.push(payment);
        run(payment, {
          type: 'RequestPayment',
          data: {
            paymentId,
            storeId: terminal.storeId,
            terminalId: terminal.terminalId,
            payoutDestinationId: 'p',
            amount,
            currency: payment.currency,
            merchantReference: `ref-${paymentId}`,
            posClientId: 'pos',
            claimId: paymentId,
            requestedAt: iso(clock),
            expiresAt: iso(clock + 120_000),
          },
        });
        if (payment.session)
          run(payment, {
            type: 'RecordSessionCreated',
            data: { sessionId: `s-${paymentId}`, expiresAt: iso(clock + 120_000), at: iso(clock) },
          });
        break;
      }
      case 3:
      case 4: {
        // An open payment's transaction is captured, in one part or two.
        const payment = pick(payments.filter(isOpen), a);
        if (!payment) break;
        clock += 1000;
        const at = dinteroAt(payment, b);
        const first = c % 3 === 0 ? Math.max(1, Math.floor(payment.amount / 2)) : payment.amount;
        payment.captures = [{ amount: first, ...(at ? { at } : {}) }];
        run(
          payment,
          transaction(payment, 'tx', c % 3 === 0 ? 'PARTIALLY_CAPTURED' : 'CAPTURED', payment.captures, clock, at),
        );
        endPayment(payment, c % 5 !== 0);
        break;
      }
      case 5: {
        // An open payment ends otherwise: declined, failed, cancelled, expired.
        const payment = pick(payments.filter(isOpen), a);
        if (!payment) break;
        clock += 1000;
        const at = dinteroAt(payment, b);
        const how = c % 5;
        if (how === 0) run(payment, transaction(payment, 'tx', 'DECLINED', [], clock, at));
        else if (how === 1) run(payment, transaction(payment, 'tx', 'FAILED', [], clock, at));
        else if (how === 2)
          run(payment, {
            type: 'RecordDinteroError',
            data: { error: 'cancelled', source: 'callback', at: iso(clock), ...(at ? { dinteroAt: at } : {}) },
          });
        else if (how === 3)
          run(payment, {
            type: 'RecordDinteroError',
            data: { error: 'authorization', source: 'webhook', at: iso(clock), ...(at ? { dinteroAt: at } : {}) },
          });
        else {
          clock = Math.max(clock, payment.requestedAt + 120_000 + (b % 60) * 1000);
          run(payment, { type: 'ExpireSession', data: { source: 'reconciler', at: iso(clock) } });
        }
        endPayment(payment, c % 7 !== 0);
        break;
      }
      case 6: {
        // An ended payment's claim released late.
        const payment = pick(
          payments.filter((p) => !isOpen(p) && !p.released),
          a,
        );
        if (payment) endPayment(payment, true);
        break;
      }
      case 7: {
        // A further capture of a partly captured transaction.
        const payment = pick(
          payments.filter((p) => status(p) === 'captured' && sum(p.captures) < p.amount && !p.restVoided),
          a,
        );
        if (!payment) break;
        clock += 1000;
        const at = dinteroAt(payment, b);
        const part = Math.max(1, (c % (payment.amount - sum(payment.captures))) + 1);
        payment.captures = [...payment.captures, { amount: part, ...(at ? { at } : {}) }];
        run(payment, transaction(payment, 'tx', 'CAPTURED', payment.captures, clock, at));
        break;
      }
      case 8: {
        // Money captured after the payment ended (or on another transaction than its own): a late capture, in parts.
        const payment = pick(
          payments.filter((p) => !isOpen(p)),
          a,
        );
        if (!payment) break;
        clock += 1000;
        const at = dinteroAt(payment, b);
        // Of its own transaction (a cancel that raced a capture), or of another.
        const txId = c % 3 === 2 && status(payment) !== 'captured' ? 'tx' : `late-${c % 2}`;
        const parts = [...(payment.late.get(txId) ?? []), { amount: 100 * (1 + (c % 7)), ...(at ? { at } : {}) }];
        payment.late.set(txId, parts);
        // One of them in the other currency: Dintero captured what the terminal took, which need not be the payment's.
        const currency = txId === 'late-1' ? CURRENCIES.find((other) => other !== payment.currency)! : payment.currency;
        payment.lateCurrencies.set(txId, currency);
        run(payment, transaction(payment, txId, 'CAPTURED', parts, clock, at, currency));
        break;
      }
      case 9:
      case 10: {
        // A refund asked for at a free terminal (any store's), sent to Dintero: of the sale, or of money captured late
        // (in the late capture's own currency, which the POS names).
        const payment = pick(
          payments.filter((p) => status(p) === 'captured' || p.late.size > 0),
          a,
        );
        const terminal = pick(TERMINALS, b)!;
        if (!payment || claims.has(terminal.terminalId)) break;
        const ofLate = status(payment) !== 'captured' || c % 3 === 1 ? pick([...payment.late.keys()], c) : undefined;
        const lateCaptured = ofLate === undefined ? 0 : sum(payment.late.get(ofLate)!);
        const refundId = `r${++ids}`;
        clock += 1000;
        claim(terminal.terminalId, refundId, 'refund', payment.paymentId);
        const made = run(payment, {
          type: 'RequestRefund',
          data: {
            refundId,
            amount: 1 + (c % (ofLate === undefined ? payment.amount : lateCaptured)),
            ...(ofLate === undefined
              ? {}
              : { transactionId: ofLate, currency: payment.lateCurrencies.get(ofLate) ?? payment.currency }),
            terminalId: terminal.terminalId,
            claimId: refundId,
            by: 'pos',
            at: iso(clock),
          },
        });
        if (made.length === 0) {
          release(terminal.terminalId, refundId);
          break;
        }
        payment.refunds.push(refundId);
        run(payment, { type: 'SubmitRefund', data: { refundId, at: iso(clock) } });
        break;
      }
      case 11:
      case 12: {
        // A refund's outcome: made, refused, failed for Dintero's silence; or, of one failed, made after all or
        // refused by Dintero itself.
        const payment = pick(
          payments.filter((p) => p.refunds.length > 0),
          a,
        );
        if (!payment) break;
        const refundId = pick(payment.refunds, b)!;
        clock += 1000;
        const at = dinteroAt(payment, c);
        const outcomes = ['succeeded', 'succeeded', 'failed', 'failed-silence'] as const;
        const outcome = outcomes[c % outcomes.length]!;
        const events = run(payment, {
          type: 'RecordRefundOutcome',
          data: {
            refundId,
            outcome: outcome === 'failed-silence' ? 'failed' : outcome,
            ...(outcome === 'failed-silence' ? { noTrace: true as const } : {}),
            source: 'reconciler',
            at: iso(clock),
            ...(at ? { dinteroAt: at } : {}),
          },
        });
        if (events.length > 0) {
          const held = [...claims].find(([, held]) => held.claimId === refundId);
          if (held) release(held[0], refundId);
        }
        break;
      }
      case 13: {
        // Dintero shows refunds made in its Backoffice, of the sale or of money captured late: a new one, or more of
        // the last one than was recorded.
        const payment = pick(
          payments.filter((p) => status(p) === 'captured' || p.late.size > 0),
          a,
        );
        if (!payment) break;
        const ofLate = status(payment) !== 'captured' || b % 3 === 1 ? pick([...payment.late.keys()], b) : undefined;
        clock += 1000;
        const at = dinteroAt(payment, b);
        const more = 1 + (c % 500);
        const listed = ofLate === undefined ? payment.external : (payment.lateExternal.get(ofLate) ?? []);
        const last = listed.at(-1);
        const external =
          last && c % 3 === 0
            ? [...listed.slice(0, -1), { ...last, refundedElsewhere: last.refundedElsewhere + more }]
            : [
                ...listed,
                {
                  before: last?.refundedElsewhere ?? 0,
                  refundedElsewhere: (last?.refundedElsewhere ?? 0) + more,
                  ...(at ? { dinteroAt: at } : {}),
                },
              ];
        if (ofLate === undefined) payment.external = external;
        else payment.lateExternal.set(ofLate, external);
        run(payment, {
          type: 'RecordExternalRefunds',
          data: { transactionId: ofLate ?? 'tx', refunds: external, source: 'reconciler', at: iso(clock) },
        });
        break;
      }
      case 16: {
        // Another device takes a free terminal's name (a swapped till); the first enrolment names its first device.
        // Not while a close of the terminal is pending (the split then waits for it: not in the oracle).
        const terminal = pick(TERMINALS, a)!;
        if (claims.has(terminal.terminalId) || operations.some((o) => o.terminalId === terminal.terminalId)) break;
        clock += 1000;
        record(`store-${terminal.storeId}`, 'TerminalEnrolled', {
          storeId: terminal.storeId,
          terminalId: terminal.terminalId,
          dinteroTerminalId: `dev-${terminal.terminalId}-${b % 3}`,
          deviceSerialNumber: `SER-${b % 3}`,
          status: 'ACTIVE',
          at: iso(clock),
        });
        break;
      }
      case 14:
      case 17:
      case 18: {
        // An end-of-day close asked for on a free terminal; or on one still held by a close whose claim ran out
        // (the terminal has not answered it yet): two closes pending at once.
        const terminal = pick(TERMINALS, a)!;
        const held = claims.get(terminal.terminalId);
        const pendingClose = held !== undefined && operations.some((o) => o.operationId === held.claimId);
        if (held && !(pendingClose && b % 3 === 0)) break;
        // At most one close ends while another pends: past that, the oracle does not say where a fact reported late
        // into the terminal's first close goes (ORACLE_ONE_OVERTAKE=0 generates more).
        if (process.env.ORACLE_ONE_OVERTAKE !== '0') {
          const pending = operations.filter((o) => o.terminalId === terminal.terminalId);
          if (pending.length >= 2 || pending.some((o) => o.overtaken)) break;
        }
        const operationId = `op${++ids}`;
        clock += held ? 300_000 : 1000;
        if (held) {
          claims.delete(terminal.terminalId);
          record(`terminal-${terminal.terminalId}`, 'TerminalReleased', {
            terminalId: terminal.terminalId,
            claimId: held.claimId,
            paymentId: held.paymentId,
            storeId: held.storeId,
            reason: 'expired',
            at: iso(clock),
          });
        }
        claim(terminal.terminalId, operationId, 'operation', operationId);
        operations.push({
          ...terminal,
          operationId,
          requestedAt: clock,
          floor: lastClose.get(terminal.terminalId) ?? 0,
        });
        record(`operation-${operationId}`, 'OperationRequested', {
          operationId,
          storeId: terminal.storeId,
          terminalId: terminal.terminalId,
          operation: 'end_of_day',
          at: iso(clock),
        });
        break;
      }
      case 15:
      case 19: {
        // A close asked for ends: the terminal closed its batch, or it failed.
        const operation = pick(operations, a);
        if (!operation) break;
        operations.splice(operations.indexOf(operation), 1);
        for (const other of operations) if (other.terminalId === operation.terminalId) other.overtaken = true;
        clock += 1000 + (b % 20) * 1000;
        const { operationId, terminalId, storeId } = operation;
        // The terminal closed at some instant since it was asked (after any close done before it was asked).
        const span = Math.max(1, Math.floor((clock - operation.requestedAt) / 1000));
        const closedAt = Math.max(operation.floor + 1000, operation.requestedAt + 1000 * (1 + (c % span)));
        clock = Math.max(clock, closedAt);
        const metadata = { storeId, terminalId };
        if (c % 6 === 0)
          record(
            `operation-${operationId}`,
            'OperationEnded',
            { operationId, outcome: 'failed', reason: 'terminal busy', at: iso(clock) },
            metadata,
          );
        else {
          lastClose.set(terminalId, Math.max(lastClose.get(terminalId) ?? 0, closedAt));
          const timeZone = STORES.find((s) => s.storeId === storeId)!.timeZone;
          const local = localParts(closedAt, timeZone);
          // A nightly close after midnight is the day before's.
          const businessDay = local.hour < 6 && b % 2 === 0 ? dayBefore(local.date) : local.date;
          record(
            `operation-${operationId}`,
            'OperationCompleted',
            {
              operationId,
              dinteroOperationId: `d-${operationId}`,
              batch: { purchasesCount: b % 3, purchasesAmount: 100 * (b % 5), reversalsCount: 0, reversalsAmount: 0 },
              at: iso(clock),
              dinteroAt: iso(closedAt),
            },
            { ...metadata, businessDay },
          );
        }
        release(terminalId, operationId);
        break;
      }
      case 20: {
        // An open payment's transaction is authorised (and left so for a later step, or voided now); of one authorised,
        // the authorisation voided (asked for by the POS, or by Dintero on its own), or its rest voided after a part
        // was captured (which captures that part). The void heard of up to ten minutes after Dintero's time of it: so,
        // now and then, after the store's midnight, of the day before.
        const payment = pick(payments.filter(isOpen), a);
        if (!payment) break;
        clock += 1000;
        if (status(payment) !== 'authorized') {
          run(payment, transaction(payment, 'tx', 'AUTHORIZED', [], clock, dinteroAt(payment, b)));
          if (b % 3 === 0 || status(payment) !== 'authorized') break;
        }
        clock += 1000;
        if (c % 2 === 0) run(payment, { type: 'RequestVoid', data: { by: 'pos', at: iso(clock) } });
        const voidedAt = c % 13 === 0 ? undefined : iso(clock);
        clock += (c % 600) * 1000;
        if (c % 5 === 0) {
          const part = Math.max(1, Math.floor(payment.amount / 2));
          payment.captures = [{ amount: part, ...(voidedAt ? { at: voidedAt } : {}) }];
          payment.restVoided = true;
          run(payment, transaction(payment, 'tx', 'AUTHORIZATION_VOIDED', payment.captures, clock, voidedAt));
        } else run(payment, transaction(payment, 'tx', 'AUTHORIZATION_VOIDED', [], clock, voidedAt));
        endPayment(payment, c % 7 !== 0);
        break;
      }
      case 21: {
        // Dintero refused to create a payment's session (a terminal it does not know, an amount it will not take).
        const payment = pick(
          payments.filter((p) => isOpen(p) && !p.session),
          a,
        );
        if (!payment) break;
        clock += 1000 + (b % 30) * 1000;
        run(payment, {
          type: 'RecordSessionRejected',
          data: { code: 'INVALID_TERMINAL', message: 'terminal not enrolled', httpStatus: 400, at: iso(clock) },
        });
        endPayment(payment, c % 7 !== 0);
        break;
      }
    }
  }
  return log;
}

function transaction(
  payment: Payment,
  transactionId: string,
  status: 'AUTHORIZED' | 'AUTHORIZATION_VOIDED' | 'CAPTURED' | 'PARTIALLY_CAPTURED' | 'DECLINED' | 'FAILED',
  captures: readonly { amount: number; at?: string }[],
  clock: number,
  dinteroAt: string | undefined,
  currency = payment.currency,
): PaymentCommand {
  const captured = sum(captures);
  return {
    type: 'RecordDinteroTransaction',
    data: {
      transaction: {
        transactionId,
        status,
        amount: Math.max(payment.amount, captured),
        currency,
        ...(captures.length > 0 ? { capturedAmount: captured } : {}),
        ...(captures.length > 1 ? { captures } : {}),
        ...(captures.length > 0
          ? { card: { brand: captured % 2 ? 'VISA' : 'MASTERCARD', entryMethod: 'contactless' } }
          : {}),
        ...(dinteroAt ? { dinteroAt } : {}),
      },
      source: 'webhook',
      at: new Date(clock).toISOString(),
    },
  };
}

const sum = (parts: readonly { amount: number }[]) => parts.reduce((total, part) => total + part.amount, 0);

function nextMidnight(clock: number, n: number): number {
  const hour = MIDNIGHT_HOURS[n % MIDNIGHT_HOURS.length]!;
  const day = new Date(clock);
  let candidate = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour);
  while (candidate - 240_000 <= clock) candidate += 86_400_000;
  return candidate;
}

/** The local date (yyyy-mm-dd) and hour of an instant in a time zone, by `Intl`, not by the engine's helpers. */
export function localParts(ms: number, timeZone: string): { date: string; hour: number } {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return { date: `${part('year')}-${part('month')}-${part('day')}`, hour: Number(part('hour')) };
}

/** One formatter a time zone: making one costs far more than using it. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let made = formatters.get(timeZone);
  if (!made) {
    made = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, made);
  }
  return made;
}

export function dayBefore(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}
