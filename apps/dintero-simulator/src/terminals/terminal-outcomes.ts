import { Inject, Injectable } from '@nestjs/common';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { addToBatch } from '../fleet/terminal-batch';
import { SimulatorClock } from '../state/clock';
import { SimulatorState, type SimSession, type SimTransaction } from '../state/simulator-state';
import type { TerminalOutcome } from './amount-table';
import { PaymentReports } from './payment-reports';
import { seitatechMetadata, type TerminalAnswer } from './seitatech-metadata';
import { TerminalTimers } from './terminal-timers';
import { TransactionRecords } from './transaction-records';

/**
 * What the outcome a card met at the terminal does at Dintero: the transaction and session events it adds, the
 * terminal's batch, what is reported, and what follows later (a hold's end, an automatic capture).
 */
@Injectable()
export class TerminalOutcomes {
  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly clock: SimulatorClock,
    private readonly timers: TerminalTimers,
    private readonly records: TransactionRecords,
    private readonly reports: PaymentReports,
  ) {}

  apply(session: SimSession, outcome: TerminalOutcome): void {
    const terminal = this.state.terminals.get(session.order.store.terminal_id)!;
    const answered = (tx: SimTransaction, answer: TerminalAnswer) => ({
      metadata: seitatechMetadata(terminal, tx, 'PURCHASE', answer),
    });
    switch (outcome.kind) {
      case 'approved': {
        const tx = this.records.transaction(
          session,
          'CAPTURED',
          this.records.card(outcome.brand, outcome.cardType, outcome.entryMethod),
        );
        tx.events.push(
          this.records.txEvent('AUTHORIZE', 'AUTHORIZED', true, tx.amount, answered(tx, { approved: true })),
          this.records.txEvent('CAPTURE', 'CAPTURED', true, tx.amount),
        );
        tx.capturedAmount = tx.amount;
        addToBatch(terminal, 'purchase', tx.amount, tx.updated_at);
        session.events.push(
          { name: 'AUTHORIZED', created_at: this.clock.stamp() },
          { name: 'COMPLETED', created_at: this.clock.stamp() },
        );
        return this.reports.report(session, tx, undefined, undefined, { authorization: true });
      }
      case 'declined': {
        const tx = this.records.transaction(session, 'DECLINED');
        tx.events.push(
          this.records.txEvent('AUTHORIZE', 'DECLINED', false, tx.amount, {
            ...answered(tx, { approved: false, reason: outcome.errorType, responseCode: '05' }),
            error: { code: outcome.errorType, message: outcome.message, type: [outcome.errorType] },
          }),
        );
        session.events.push({
          name: 'DECLINED',
          created_at: this.clock.stamp(),
          details: { error: outcome.errorType },
        });
        return this.reports.report(session, tx, 'authorization', undefined, { authorization: true });
      }
      case 'failed': {
        const tx = this.records.transaction(session, 'FAILED');
        tx.events.push(
          this.records.txEvent('AUTHORIZE', 'FAILED', false, tx.amount, {
            ...answered(tx, { approved: false, reason: 'ERROR', responseCode: '96' }),
            error: { code: 'ERROR', message: outcome.message, type: ['ERROR'] },
          }),
        );
        session.events.push({ name: 'FAILED', created_at: this.clock.stamp() });
        return this.reports.report(session, tx, 'failed', undefined, { authorization: true });
      }
      case 'unknown': {
        const tx = this.records.transaction(session, 'UNKNOWN');
        session.events.push({ name: 'UNKNOWN', created_at: this.clock.stamp() });
        return this.reports.report(session, tx, undefined);
      }
      case 'on_hold_then_approved': {
        // The card was read before the payment went on hold: the transaction has it from the start.
        const tx = this.records.transaction(session, 'ON_HOLD', this.records.card('Visa', 'Debit', 'contactless'));
        this.reports.report(session, tx, undefined);
        // "For an ON_HOLD transaction, a second callback follows when its status changes" (§4).
        this.timers.schedule(`${session.id}:hold`, this.config.holdMs, () => {
          tx.status = 'CAPTURED';
          tx.capturedAmount = tx.amount;
          tx.updated_at = this.clock.stamp();
          addToBatch(terminal, 'purchase', tx.amount, tx.updated_at);
          tx.events.push(
            this.records.txEvent('AUTHORIZE', 'AUTHORIZED', true, tx.amount, answered(tx, { approved: true })),
            this.records.txEvent('CAPTURE', 'CAPTURED', true, tx.amount),
          );
          // The session as an approved one's: authorised, then completed.
          session.events.push(
            { name: 'AUTHORIZED', created_at: this.clock.stamp() },
            { name: 'COMPLETED', created_at: this.clock.stamp() },
          );
          this.reports.report(session, tx, undefined, undefined, { authorization: true });
        });
        return;
      }
      case 'on_hold_then_failed': {
        // ON_HOLD "will later be updated with a final payment status AUTHORIZED or FAILED" (the specification).
        const tx = this.records.transaction(session, 'ON_HOLD', this.records.card('Visa', 'Debit', 'contactless'));
        this.reports.report(session, tx, undefined);
        this.timers.schedule(`${session.id}:hold`, this.config.holdMs, () => {
          tx.status = 'FAILED';
          tx.updated_at = this.clock.stamp();
          tx.events.push(
            this.records.txEvent('AUTHORIZE', 'FAILED', false, tx.amount, {
              ...answered(tx, { approved: false, reason: 'ERROR', responseCode: '96' }),
              error: { code: 'ERROR', message: 'Failed after review', type: ['ERROR'] },
            }),
          );
          session.events.push({ name: 'FAILED', created_at: this.clock.stamp() });
          this.reports.report(session, tx, 'failed', undefined, { authorization: true });
        });
        return;
      }
      case 'authorized_then_captured': {
        const tx = this.records.transaction(session, 'AUTHORIZED', this.records.card('MasterCard', 'Credit', 'chip'));
        tx.events.push(
          this.records.txEvent('AUTHORIZE', 'AUTHORIZED', true, tx.amount, answered(tx, { approved: true })),
        );
        session.events.push({ name: 'AUTHORIZED', created_at: this.clock.stamp() });
        // With auto-capture "the callback is delayed until the transaction is CAPTURED" (§2); the webhooks say now.
        this.reports.report(session, tx, undefined, undefined, { callback: false, authorization: true });
        return this.captureLater(tx);
      }
      case 'cancelled': {
        session.cancelled_at = this.clock.stamp();
        session.cancelled_by = 'customer';
        session.events.push({ name: 'CANCELLED', created_at: this.clock.stamp() });
        return this.reports.reportCancelled(session);
      }
      case 'no_answer':
        return;
    }
  }

  /**
   * Dintero's automatic capture of an in-person transaction left `AUTHORIZED`, after `SIM_CAPTURE_DELAY_MS`: then the
   * callback and the `checkout_transaction` webhook. A cancel of its session meanwhile voided it, and nothing happens.
   * Also called for such a transaction read back after a restart: Dintero's capture does not depend on the terminal,
   * and it comes when it was due (at once if that was while the simulator was down), not a whole delay after the start.
   */
  captureLater(tx: SimTransaction): void {
    tx.captureDueAt ??= Date.now() + this.config.captureDelayMs;
    this.state.touch('transactions', tx.id);
    this.timers.schedule(`${tx.id}:capture`, Math.max(0, tx.captureDueAt - Date.now()), () => {
      const session = this.state.sessions.get(tx.session_id);
      const current = this.state.transactions.get(tx.id);
      if (!session || current !== tx || tx.status !== 'AUTHORIZED') return;
      this.state.touchPayment(session, tx);
      delete tx.captureDueAt;
      tx.status = 'CAPTURED';
      tx.capturedAmount = tx.amount;
      tx.updated_at = this.clock.stamp();
      tx.events.push(this.records.txEvent('CAPTURE', 'CAPTURED', true, tx.amount));
      session.events.push({ name: 'COMPLETED', created_at: this.clock.stamp() });
      const terminal = this.state.terminals.get(tx.store.terminal_id);
      if (terminal) addToBatch(terminal, 'purchase', tx.amount, tx.updated_at);
      this.reports.report(session, tx, undefined);
    });
  }
}
