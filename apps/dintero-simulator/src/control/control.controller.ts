import { Body, Controller, Get, HttpCode, Param, Post, Put, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { dinteroValidation } from '../api/api-guards';
import { ApiDinteroErrors, DinteroApiError } from '../api/dintero-api.error';
import { parseChaos } from '../delivery/chaos';
import { DeliveryService } from '../delivery/delivery.service';
import { SimulatorClock } from '../state/clock';
import { SimulatorState } from '../state/simulator-state';
import { snapshotText } from '../state/state-journal';
import { AMOUNT_TABLE, REFUND_AMOUNT_TABLE, outcomeName, parseOutcome } from '../terminals/amount-table';
import { TerminalTimers } from '../terminals/terminal-timers';
import { VirtualTerminalsService } from '../terminals/virtual-terminals.service';
import {
  BatchSkewDto,
  CallbackSecretDto,
  ClockDto,
  OperationOutcomesDto,
  OutcomeDto,
  RefundModeDto,
  SeedDto,
  TerminalStatusDto,
} from './control.dto';
import { TerminalFleetService } from '../fleet/terminal-fleet.service';
import { SeedService } from './seed.service';

/** The simulator's own API for tests and demos (not Dintero's): under `/_control`. */
@ApiTags('simulator control')
@ApiDinteroErrors({
  400: 'A control request the simulator cannot carry out (its body)',
  404: 'No such terminal or session',
  409: 'The terminal is not in a state that allows it',
})
@Controller('_control')
@UsePipes(dinteroValidation)
export class ControlController {
  constructor(
    private readonly state: SimulatorState,
    private readonly delivery: DeliveryService,
    private readonly terminals: VirtualTerminalsService,
    private readonly timers: TerminalTimers,
    private readonly seeds: SeedService,
    private readonly clock: SimulatorClock,
    private readonly fleet: TerminalFleetService,
  ) {}

  @Post('seed')
  @HttpCode(200)
  seed(@Body() body: SeedDto) {
    this.seeds.apply(body);
    return { stores: this.state.stores.size, terminals: this.state.terminals.size };
  }

  @Put('terminals/:terminalId')
  setStatus(@Param('terminalId') terminalId: string, @Body() body: TerminalStatusDto) {
    this.terminal(terminalId);
    return this.fleet.hold(terminalId, body.status, body.status_reason);
  }

  /** The customer presents a card now, with the given outcome or the one the amount picks. */
  @Post('terminals/:terminalId/present')
  @HttpCode(200)
  present(@Param('terminalId') terminalId: string, @Body() body: OutcomeDto) {
    this.terminal(terminalId);
    const outcome = body.outcome === undefined ? undefined : this.outcome(body.outcome);
    if (!this.terminals.present(terminalId, outcome))
      throw new DinteroApiError(409, 'NOT_PROMPTING', `Terminal ${terminalId} is not prompting`);
    return { presented: true };
  }

  @Put('terminals/:terminalId/next-outcome')
  nextOutcome(@Param('terminalId') terminalId: string, @Body() body: OutcomeDto) {
    const terminal = this.terminal(terminalId);
    this.state.touch('terminals', terminalId);
    terminal.nextOutcome = body.outcome === undefined ? undefined : outcomeName(this.outcome(body.outcome));
    return terminal;
  }

  /** How the terminal's next operations end (`FAILED`, `TIMEOUT`), in order; `[]` goes back to completing them. */
  @Put('terminals/:terminalId/operation-outcomes')
  operationOutcomes(@Param('terminalId') terminalId: string, @Body() body: OperationOutcomesDto) {
    const terminal = this.terminal(terminalId);
    this.state.touch('terminals', terminalId);
    terminal.operationOutcomes = [...body.outcomes];
    return { terminalId, outcomes: terminal.operationOutcomes };
  }

  /** What the terminal's closes add to its true batch totals, so that the close disagrees with the log. */
  @Put('terminals/:terminalId/batch-skew')
  batchSkew(@Param('terminalId') terminalId: string, @Body() body: BatchSkewDto) {
    const terminal = this.terminal(terminalId);
    this.state.touch('terminals', terminalId);
    terminal.batchSkew = { ...body };
    return { terminalId, skew: terminal.batchSkew };
  }

  /** How the terminal answers refunds from now on, whatever the amount; `{}` goes back to the amount's table. */
  @Put('terminals/:terminalId/refund-mode')
  refundMode(@Param('terminalId') terminalId: string, @Body() body: RefundModeDto) {
    const terminal = this.terminal(terminalId);
    this.state.touch('terminals', terminalId);
    terminal.refundMode = body.mode;
    return terminal;
  }

  /** Global chaos, or one terminal's with `terminalId` in the body; `{}` resets to none. */
  @Put('chaos')
  chaos(@Body() body: Record<string, unknown>) {
    const { terminalId, ...settings } = body;
    try {
      const chaos = parseChaos(settings);
      if (typeof terminalId === 'string') this.delivery.terminalChaos.set(this.terminal(terminalId).terminal_id, chaos);
      else this.delivery.chaos = chaos;
      return chaos;
    } catch (error) {
      if (error instanceof DinteroApiError) throw error;
      throw new DinteroApiError(400, 'INVALID_CHAOS', (error as Error).message);
    }
  }

  /**
   * Moves the time Dintero stamps on its records (not expiry or delivery timing): a capture "at 23:59:55"
   * of a store's day, reported after its midnight, without waiting for midnight.
   */
  @Put('clock')
  setClock(@Body() body: ClockDto) {
    this.clock.offset = body.offsetMs;
    return { offsetMs: this.clock.offset, now: this.clock.stamp() };
  }

  @Put('callback-secret')
  callbackSecret(@Body() body: CallbackSecretDto) {
    this.delivery.callbackSecret = body.secret || undefined;
    return { signing: this.delivery.callbackSecret !== undefined };
  }

  @Get('deliveries')
  deliveries() {
    return this.delivery.deliveries;
  }

  /** Waits until every scheduled delivery, retries included, has run. */
  @Post('idle')
  @HttpCode(200)
  async idle() {
    await this.delivery.idle();
    return { idle: true };
  }

  /** What really happened: every session and transaction with its final status. */
  @Get('ground-truth')
  groundTruth() {
    return {
      sessions: [...this.state.sessions.values()].map((s) => ({
        id: s.id,
        paymentId: s.order.merchant_reference_2,
        storeId: s.order.store.id,
        terminalId: s.order.store.terminal_id,
        amount: s.order.amount,
        currency: s.order.currency,
        transactionId: s.transaction_id,
        cancelledAt: s.cancelled_at,
        expiresAt: s.expires_at,
      })),
      transactions: [...this.state.transactions.values()].map((t) => ({
        id: t.id,
        sessionId: t.session_id,
        paymentId: t.merchant_reference_2,
        storeId: t.store.id,
        terminalId: t.store.terminal_id,
        status: t.status,
        amount: t.amount,
        currency: t.currency,
        captured: t.capturedAmount,
        refunded: t.refundedAmount,
        createdAt: t.created_at,
        // When Dintero captured and refunded: what a store's business day is dated by.
        capturedAt: t.events.find((e) => e.event === 'CAPTURE' && e.success)?.created_at,
        refunds: t.events
          .filter((e) => e.event === 'REFUND')
          .map((e) => ({
            reference: e.event_reference,
            ...(e.event_reference && t.refundReasons?.[e.event_reference]
              ? { reason: t.refundReasons[e.event_reference] }
              : {}),
            amount: e.amount,
            success: e.success,
            at: e.created_at,
          })),
      })),
    };
  }

  /** Dintero's stores and terminals as its management API shows them, every one. */
  @Get('ground-truth/fleet')
  fleetTruth() {
    return {
      stores: this.fleet.stores(),
      terminals: this.fleet.terminals(),
      operations: [...this.state.operations.values()],
    };
  }

  @Get('outcomes')
  outcomes() {
    return Object.entries(AMOUNT_TABLE).map(([digits, outcome]) => ({
      amountEndsWith: digits,
      outcome: outcomeName(outcome),
    }));
  }

  /** How refunds are answered by the refund amount's last two digits (others: 200 at once). */
  @Get('refund-outcomes')
  refundOutcomes() {
    return Object.entries(REFUND_AMOUNT_TABLE).map(([digits, mode]) => ({ amountEndsWith: digits, mode }));
  }

  /**
   * Every record as the state file would hold it (its snapshot's lists, without `savedAt` and `generation`): what a
   * restart from the file must read back.
   */
  @Get('state')
  savedState() {
    const {
      savedAt: _at,
      generation: _generation,
      ...lists
    } = JSON.parse(snapshotText(this.state, 0)) as Record<string, unknown>;
    return lists;
  }

  @Post('reset')
  @HttpCode(200)
  reset() {
    this.state.reset();
    this.timers.reset();
    this.fleet.reset();
    this.clock.offset = 0;
    this.delivery.deliveries.length = 0;
    return { reset: true };
  }

  private terminal(terminalId: string) {
    const terminal = this.state.terminals.get(terminalId);
    if (!terminal) throw new DinteroApiError(404, 'NOT FOUND', `Terminal ${terminalId} not found`);
    return terminal;
  }

  private outcome(name: string) {
    const outcome = parseOutcome(name);
    if (!outcome)
      throw new DinteroApiError(400, 'UNKNOWN_OUTCOME', `Unknown outcome ${name}; see GET /_control/outcomes`);
    return outcome;
  }
}
