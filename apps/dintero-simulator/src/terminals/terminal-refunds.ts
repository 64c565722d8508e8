import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DeliveryService } from '../delivery/delivery.service';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { addToBatch } from '../fleet/terminal-batch';
import { SimulatorClock } from '../state/clock';
import {
  SimulatorState,
  type RefundMode,
  type SimTerminal,
  type SimTransaction,
  statusAfterRefund,
} from '../state/simulator-state';
import { PaymentReports } from './payment-reports';
import { seitatechMetadata } from './seitatech-metadata';
import { TerminalTimers } from './terminal-timers';
import { TransactionRecords, withoutInternals } from './transaction-records';

/** A refund Dintero does at the terminal, the cardholder confirming it there (answered 202). */
@Injectable()
export class TerminalRefunds {
  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly delivery: DeliveryService,
    private readonly clock: SimulatorClock,
    private readonly timers: TerminalTimers,
    private readonly records: TransactionRecords,
    private readonly reports: PaymentReports,
  ) {}

  /**
   * A refund Dintero accepted (202): the `INITIATE_REFUND` event now, the terminal busy while the cardholder
   * confirms it, and after `refundDelayMs` the `REFUND` event (approved or declined) whose
   * `correlation_request_id` is the request's id, reported like any refund. The amount is held meanwhile.
   * `async_stall`: the terminal died mid-refund, and Dintero never finishes it (the amount stays held, the terminal
   * is free again after the delay).
   */
  refundLater(
    tx: SimTransaction,
    terminal: SimTerminal,
    amount: number,
    reference: string | undefined,
    mode: Exclude<RefundMode, 'sync'>,
  ) {
    const requestId = randomUUID();
    const ref = reference === undefined ? {} : { event_reference: reference };
    tx.events.push(this.records.txEvent('INITIATE_REFUND', tx.status, true, amount, { ...ref, request_id: requestId }));
    tx.updated_at = this.clock.stamp();
    tx.refundingAmount += amount;
    this.state.touchPayment(undefined, tx);
    this.state.touch('terminals', terminal.terminal_id);
    // The transaction was updated: `checkout_transaction` is sent (no callback: `report_event` names no initiation).
    this.delivery.webhook(
      'checkout_transaction',
      { transaction: structuredClone(withoutInternals(tx)) },
      tx.store.terminal_id,
    );
    terminal.activeRefund = { transactionId: tx.id, requestId };
    const approve = mode === 'async_approve';
    if (mode === 'async_stall') {
      this.timers.schedule(`refund:${requestId}`, this.config.refundDelayMs, () => {
        if (terminal.activeRefund?.requestId === requestId) terminal.activeRefund = undefined;
        this.state.touch('terminals', terminal.terminal_id);
      });
      return requestId;
    }
    this.timers.schedule(`refund:${requestId}`, this.config.refundDelayMs, () => {
      tx.refundingAmount -= amount;
      if (terminal.activeRefund?.requestId === requestId) terminal.activeRefund = undefined;
      this.state.touchPayment(undefined, tx);
      this.state.touch('terminals', terminal.terminal_id);
      if (approve) {
        tx.refundedAmount += amount;
        tx.status = statusAfterRefund(tx);
        addToBatch(terminal, 'reversal', amount, this.clock.stamp());
      }
      const done = this.records.txEvent('REFUND', tx.status, approve, amount, {
        ...ref,
        correlation_request_id: requestId,
        metadata: seitatechMetadata(
          terminal,
          tx,
          'REFUND',
          approve ? { approved: true } : { approved: false, reason: 'CANCELLED_BY_CARDHOLDER', responseCode: '17' },
          amount,
        ),
        ...(approve
          ? {}
          : { error: { code: 'DECLINED', message: 'The cardholder did not confirm the refund', type: ['DECLINED'] } }),
      });
      tx.events.push(done);
      tx.updated_at = done.created_at;
      this.reports.reportEvent(tx, 'REFUND');
    });
    return requestId;
  }
}
