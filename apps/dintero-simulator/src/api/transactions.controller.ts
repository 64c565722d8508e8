import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { addToBatch } from '../fleet/terminal-batch';
import { refundModeFor } from '../terminals/amount-table';
import { seitatechMetadata } from '../terminals/seitatech-metadata';
import {
  REFUNDABLE,
  SimulatorState,
  sessionAsRead,
  statusAfterRefund,
  type SimTransaction,
} from '../state/simulator-state';
import { TerminalFleetService } from '../fleet/terminal-fleet.service';
import { PaymentReports } from '../terminals/payment-reports';
import { TerminalRefunds } from '../terminals/terminal-refunds';
import { TransactionRecords, withoutInternals } from '../terminals/transaction-records';
import { ApiChaosInterceptor, BearerTokenGuard, dinteroValidation } from './api-guards';
import { CaptureDto, RefundDto, TransactionQuery } from './dintero-api.dto';
import { asListed, listedBy, ListTransactionsQuery } from './transaction-list';
import { ApiDinteroErrors, CHECKOUT_API_ERRORS, DinteroApiError } from './dintero-api.error';

@ApiTags('dintero checkout api')
@ApiDinteroErrors(CHECKOUT_API_ERRORS)
@Controller('v1/transactions')
@UseGuards(BearerTokenGuard)
@UseInterceptors(ApiChaosInterceptor)
@UsePipes(dinteroValidation)
export class TransactionsController {
  constructor(
    private readonly state: SimulatorState,
    private readonly records: TransactionRecords,
    private readonly reports: PaymentReports,
    private readonly refunds: TerminalRefunds,
    private readonly fleet: TerminalFleetService,
  ) {}

  /** `GET /v1/transactions` with the specification's filters, newest first, cursor `starting_after` (§6). */
  @Get()
  list(@Query() query: ListTransactionsQuery) {
    let all = [...this.state.transactions.values()].reverse().filter(listedBy(query));
    if (query.starting_after) {
      const index = all.findIndex((tx) => tx.id === query.starting_after);
      all = index === -1 ? [] : all.slice(index + 1);
    }
    return all.slice(0, query.limit ?? 10).map((tx) => asListed(withoutInternals(tx), query));
  }

  /** `GET /v1/transactions/{id}`, with the session it came from when `includes` asks for it. */
  @Get(':id')
  get(@Param('id') id: string, @Query() query: TransactionQuery) {
    // `events.success.true`: "Include events where success is true" (the specification), as for the list.
    const tx = asListed(withoutInternals(this.transaction(id)), query);
    const includes = query.includes ?? [];
    const latestOnly = includes.includes('session.events.latest');
    if (!latestOnly && !includes.includes('session')) return tx;
    const session = this.state.sessions.get(tx.session_id);
    if (!session) return tx;
    const read = sessionAsRead(session);
    return {
      ...tx,
      session: latestOnly && !includes.includes('session') ? { ...read, events: read.events.slice(-1) } : read,
    };
  }

  /**
   * Refund after capture, partial or full; for in-person, on an active terminal of the same payout
   * destination, free of any other payment or refund (§6). 200 when done at once; 202 with
   * `event-request-id` when the cardholder confirms it at the terminal later (the refund amount's table,
   * or the terminal's refund mode).
   */
  @Post(':id/refund')
  refund(@Param('id') id: string, @Body() body: RefundDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const tx = this.transaction(id);
    if (!REFUNDABLE.has(tx.status)) {
      throw new DinteroApiError(400, 'REFUND_NOT_ALLOWED', `A ${tx.status} transaction cannot be refunded`);
    }
    if (!body.terminal_id)
      throw new DinteroApiError(400, 'TERMINAL_ID_REQUIRED', 'terminal_id is required to refund an in-person payment');
    const terminal = this.fleet.find(body.terminal_id);
    const store = terminal ? this.state.stores.get(terminal.store_id) : undefined;
    if (!terminal || terminal.status !== 'ACTIVE' || store?.payout_destination_id !== tx.payout_destination_id) {
      throw new DinteroApiError(
        400,
        'INVALID_REFUND_TERMINAL',
        `Terminal ${body.terminal_id} is not active on payout destination ${tx.payout_destination_id}`,
      );
    }
    if (terminal.activeSessionId || terminal.activeRefund || terminal.pendingOperationId)
      throw new DinteroApiError(409, 'TERMINAL_BUSY', `Terminal ${terminal.terminal_id} is busy`, undefined, {
        'retry-after': '5',
      });
    const refundable = tx.capturedAmount - tx.refundedAmount - tx.refundingAmount;
    if (body.amount > refundable)
      throw new DinteroApiError(400, 'REFUND_AMOUNT_TOO_HIGH', `At most ${refundable} can be refunded`);
    const mode = refundModeFor(body.amount, terminal.refundMode);
    this.state.touchPayment(undefined, tx);
    this.state.touch('terminals', terminal.terminal_id);
    if (body.reason !== undefined && body.refund_reference !== undefined)
      tx.refundReasons = { ...tx.refundReasons, [body.refund_reference]: body.reason };
    if (mode !== 'sync') {
      const requestId = this.refunds.refundLater(tx, terminal, body.amount, body.refund_reference, mode);
      void reply.status(202).header('event-request-id', requestId);
      return withoutInternals(tx);
    }
    void reply.status(200);
    tx.refundedAmount += body.amount;
    tx.status = statusAfterRefund(tx);
    addToBatch(terminal, 'reversal', body.amount, tx.updated_at);
    const reference = body.refund_reference === undefined ? {} : { event_reference: body.refund_reference };
    const metadata = seitatechMetadata(terminal, tx, 'REFUND', { approved: true }, body.amount);
    return this.record(
      tx,
      'REFUND',
      this.records.txEvent('REFUND', tx.status, true, body.amount, { ...reference, metadata }),
    );
  }

  /**
   * Voids an `AUTHORIZED` transaction: it ends `AUTHORIZATION_VOIDED`. Dintero's specification voids the rest of a
   * `PARTIALLY_CAPTURED` one only for the payment product types it lists (`payex.*`, `vipps`, `klarna.*`), and an
   * in-person (`seitatech.in_person`) transaction, every one of this simulator's, is not among them: the rest is
   * captured, or the captured part refunded.
   */
  @Post(':id/void')
  @HttpCode(200)
  void(@Param('id') id: string) {
    const tx = this.transaction(id);
    if (tx.status === 'PARTIALLY_CAPTURED')
      throw new DinteroApiError(
        400,
        'VOID_NOT_ALLOWED',
        `Void on part capture is not supported for ${tx.payment_product_type} transactions`,
      );
    if (tx.status !== 'AUTHORIZED')
      throw new DinteroApiError(400, 'VOID_NOT_ALLOWED', `A ${tx.status} transaction cannot be voided`);
    tx.status = 'AUTHORIZATION_VOIDED';
    this.state.touchPayment(undefined, tx);
    return this.record(tx, 'VOID', this.records.txEvent('VOID', tx.status, true, tx.amount));
  }

  @Post(':id/capture')
  @HttpCode(200)
  capture(@Param('id') id: string, @Body() body: CaptureDto) {
    const tx = this.transaction(id);
    // After a partial capture, the rest may be captured too (§6).
    if (tx.status !== 'AUTHORIZED' && tx.status !== 'PARTIALLY_CAPTURED')
      throw new DinteroApiError(400, 'CAPTURE_NOT_ALLOWED', `A ${tx.status} transaction cannot be captured`);
    const capturable = tx.amount - tx.capturedAmount;
    if (body.amount > capturable)
      throw new DinteroApiError(400, 'CAPTURE_AMOUNT_TOO_HIGH', `At most ${capturable} can be captured`);
    const first = tx.capturedAmount === 0;
    this.state.touchPayment(undefined, tx);
    tx.capturedAmount += body.amount;
    tx.status = tx.capturedAmount === tx.amount ? 'CAPTURED' : 'PARTIALLY_CAPTURED';
    const captured = this.records.txEvent('CAPTURE', tx.status, true, body.amount);
    // In the terminal's batch as Dintero's automatic capture is: one purchase, however many captures took its money.
    const terminal = this.state.terminals.get(tx.store.terminal_id);
    if (terminal) addToBatch(terminal, 'purchase', body.amount, captured.created_at, first ? 1 : 0);
    return this.record(tx, 'CAPTURE', captured);
  }

  private record(tx: SimTransaction, event: 'CAPTURE' | 'REFUND' | 'VOID', txEvent: SimTransaction['events'][number]) {
    tx.events.push(txEvent);
    tx.updated_at = txEvent.created_at;
    this.state.touchPayment(undefined, tx);
    this.reports.reportEvent(tx, event);
    return withoutInternals(tx);
  }

  private transaction(id: string): SimTransaction {
    const tx = this.state.transactions.get(id);
    if (!tx) throw new DinteroApiError(404, 'NOT FOUND', `Transaction ${id} not found`);
    return tx;
  }
}
