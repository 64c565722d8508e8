import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { SimulatorClock } from '../state/clock';
import { SimulatorRandom } from '../state/random';
import { IN_PERSON_CONFIGURATION, SimulatorState, sessionAsRead, type SimSession } from '../state/simulator-state';
import { TerminalFleetService } from '../fleet/terminal-fleet.service';
import { PaymentReports } from '../terminals/payment-reports';
import { TransactionRecords } from '../terminals/transaction-records';
import { VirtualTerminalsService } from '../terminals/virtual-terminals.service';
import { ApiChaosInterceptor, BearerTokenGuard, dinteroValidation } from './api-guards';
import { CreateSessionDto } from './dintero-api.dto';
import { ApiDinteroErrors, CHECKOUT_API_ERRORS, DinteroApiError } from './dintero-api.error';

@ApiTags('dintero checkout api')
@ApiDinteroErrors(CHECKOUT_API_ERRORS)
@Controller('v1')
@UseGuards(BearerTokenGuard)
@UseInterceptors(ApiChaosInterceptor)
@UsePipes(dinteroValidation)
export class SessionsController {
  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly terminals: VirtualTerminalsService,
    private readonly records: TransactionRecords,
    private readonly reports: PaymentReports,
    private readonly random: SimulatorRandom,
    private readonly clock: SimulatorClock,
    private readonly fleet: TerminalFleetService,
  ) {}

  /** `POST /v1/sessions-profile` (§2): the terminal starts prompting as soon as the session exists. */
  @Post('sessions-profile')
  @HttpCode(200)
  create(@Body() body: CreateSessionDto, @Query('include_session') includeSession?: string) {
    const { store } = body.order;
    const terminal = this.fleet.find(store.terminal_id);
    if (!terminal)
      throw new DinteroApiError(400, 'TERMINAL_NOT_FOUND', `Terminal ${store.terminal_id} is not enrolled`);
    if (terminal.status !== 'ACTIVE')
      throw new DinteroApiError(400, 'TERMINAL_NOT_ACTIVE', `Terminal ${store.terminal_id} is ${terminal.status}`);
    const registered = this.state.stores.get(store.id);
    if (!registered || terminal.store_id !== store.id) {
      throw new DinteroApiError(
        400,
        'STORE_MISMATCH',
        `Terminal ${store.terminal_id} does not belong to store ${store.id}`,
      );
    }
    if (registered.payout_destination_id !== store.payout_destination_id) {
      throw new DinteroApiError(
        400,
        'PAYOUT_DESTINATION_MISMATCH',
        `Store ${store.id} pays out to another destination`,
      );
    }
    if (terminal.activeSessionId || terminal.activeRefund || terminal.pendingOperationId) {
      // Dintero does not document this case (§3, Open question 4). Chosen: 409 with Retry-After, as
      // Dintero answers a second operation on a busy terminal.
      throw new DinteroApiError(
        409,
        'TERMINAL_BUSY',
        `Terminal ${store.terminal_id} is processing another payment or a refund`,
        undefined,
        { 'retry-after': '5' },
      );
    }
    const created = new Date();
    const session: SimSession = {
      id: this.random.id(this.config.accountId),
      profile_id: body.profile_id,
      order: {
        ...body.order,
        store: { id: store.id, terminal_id: store.terminal_id, payout_destination_id: store.payout_destination_id },
      },
      url: body.url,
      configuration: IN_PERSON_CONFIGURATION,
      expires_at: body.expires_at ?? new Date(created.getTime() + this.config.sessionTtlSeconds * 1000).toISOString(),
      created_at: this.clock.stamp(),
      ...(body.metadata ? { metadata: body.metadata } : {}),
      events: [],
    };
    this.state.sessions.set(session.id, session);
    this.state.touchPayment(session);
    this.terminals.prompt(session);
    return {
      id: session.id,
      url: `https://checkout.dintero.com/v1/view/${session.id}`,
      publish: [],
      ...(includeSession === 'true' ? { session: sessionAsRead(session) } : {}),
    };
  }

  @Get('sessions/:id')
  get(@Param('id') id: string) {
    return sessionAsRead(this.session(id));
  }

  /** `POST /v1/sessions/{id}/cancel` (§3): voids an initiated or authorised transaction, refuses any other. */
  @Post('sessions/:id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string) {
    const session = this.session(id);
    const tx = session.transaction_id ? this.state.transactions.get(session.transaction_id) : undefined;
    // Refused for any state but initiated or authorised: a transaction the first cancel voided included.
    if (tx && tx.status !== 'INITIATED' && tx.status !== 'AUTHORIZED') {
      throw new DinteroApiError(400, 'SESSION_CANCEL_NOT_ALLOWED', `The session's transaction is ${tx.status}`);
    }
    // Not documented: a second cancel of a session without a transaction is answered as the first was.
    if (session.cancelled_at) return sessionAsRead(session);
    this.terminals.abort(session);
    session.cancelled_at = this.clock.stamp();
    session.cancelled_by = 'merchant';
    this.state.touchPayment(session, tx);
    session.events.push({ name: 'CANCELLED', created_at: session.cancelled_at });
    if (tx) {
      tx.status = 'AUTHORIZATION_VOIDED';
      tx.updated_at = session.cancelled_at;
      tx.events.push(this.records.txEvent('VOID', 'AUTHORIZATION_VOIDED', true, tx.amount));
      this.reports.reportEvent(tx, 'VOID');
    } else {
      this.reports.reportCancelled(session);
    }
    return sessionAsRead(session);
  }

  private session(id: string): SimSession {
    const session = this.state.sessions.get(id);
    if (!session) throw new DinteroApiError(404, 'NOT FOUND', `Session ${id} not found`);
    return session;
  }
}
