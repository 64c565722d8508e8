import { Body, Controller, Get, Param, Post, Query, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { ApiChaosInterceptor, BearerTokenGuard, dinteroValidation } from '../api/api-guards';
import { ApiDinteroErrors, DinteroApiError } from '../api/dintero-api.error';
import { CreateStoreDto, ListStoresQuery, ListTerminalsQuery, RegisterTerminalDto } from './management.dto';
import { page } from './paging';
import { TerminalFleetService } from './terminal-fleet.service';
import { Inject } from '@nestjs/common';

/**
 * Dintero's account management API for stores and terminals (§10), at `{DINTERO_API_URL}/v1/accounts/{aid}`.
 * Creating answers 201 (Dintero's reference says "created" without the code).
 */
@ApiTags('dintero management api')
@ApiDinteroErrors({
  400: 'A body Dintero would refuse, or an unknown payout destination',
  401: 'No bearer token, or not one the simulator issued',
  403: 'Another account',
  404: 'No such store or terminal',
  409: 'The store id or the terminal serial is registered already',
  429: 'Chaos: rate limited (Retry-After)',
  503: 'Chaos: unavailable; or the state file cannot be written (SIM_STATE_FILE)',
})
@Controller('v1/accounts/:accountId')
@UseGuards(BearerTokenGuard)
@UseInterceptors(ApiChaosInterceptor)
@UsePipes(dinteroValidation)
export class ManagementController {
  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly fleet: TerminalFleetService,
  ) {}

  @Post('stores')
  createStore(@Param('accountId') accountId: string, @Body() body: CreateStoreDto) {
    this.account(accountId);
    return this.fleet.createStore({
      store_id: body.store_id,
      payout_destination_id: body.payout_destination.payout_destination_id,
      ...(body.store_name ? { store_name: body.store_name } : {}),
      ...(body.organization ? { organization_number: body.organization.organization_number } : {}),
    });
  }

  @Get('stores')
  stores(@Param('accountId') accountId: string, @Query() query: ListStoresQuery) {
    this.account(accountId);
    const { items, starting_after } = page(this.fleet.stores(), (store) => store.store_id, query);
    return { stores: items, ...(starting_after ? { starting_after } : {}) };
  }

  @Get('stores/:storeId')
  store(@Param('accountId') accountId: string, @Param('storeId') storeId: string) {
    this.account(accountId);
    return this.fleet.store(storeId);
  }

  @Post('terminals')
  registerTerminal(@Param('accountId') accountId: string, @Body() body: RegisterTerminalDto) {
    this.account(accountId);
    return this.fleet.registerTerminal(body);
  }

  @Get('terminals')
  terminals(@Param('accountId') accountId: string, @Query() query: ListTerminalsQuery) {
    this.account(accountId);
    const withStore = query.includes === 'store';
    const matching = this.fleet
      .terminals(withStore)
      .filter(
        (terminal) =>
          (!query.store_id || query.store_id.includes(terminal.store_id)) &&
          (!query.status || terminal.status === query.status) &&
          (query.device_serial_number === undefined || terminal.device_serial_number === query.device_serial_number) &&
          (query.device_model === undefined || terminal.device_model === query.device_model) &&
          (!query.payout_destination_id ||
            query.payout_destination_id.includes(
              this.fleet.store(terminal.store_id).payout_destination.payout_destination_id,
            )),
      );
    const { items, starting_after } = page(matching, (terminal) => terminal.terminal_id, query);
    return { terminals: items, ...(starting_after ? { starting_after } : {}) };
  }

  @Get('terminals/:terminalId')
  terminal(@Param('accountId') accountId: string, @Param('terminalId') terminalId: string) {
    this.account(accountId);
    return this.fleet.terminal(terminalId);
  }

  private account(accountId: string): void {
    if (accountId !== this.config.accountId)
      throw new DinteroApiError(403, 'FORBIDDEN', `The token is not for account ${accountId}`);
  }
}
