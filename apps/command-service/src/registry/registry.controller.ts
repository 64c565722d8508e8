import { Body, Controller, Get, HttpCode, Param, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Inject } from '@nestjs/common';
import { EVENT_STORE, readState, type EventStore } from '@app/event-store';
import { DomainError, ownEntry, terminalDecider, terminalStream } from '@app/payment-domain';
import { ApiProblems, ENGINE_STARTING_DOC } from '@app/platform';
import { Pos, PosAuthGuard } from '../auth/pos-auth.guard';
import type { PosClient } from '../auth/pos-client';
import { PutStoreDto, PutTerminalDto, StoreView, TerminalImportView, TerminalView } from './registry.dto';
import { RegistryService, storeView, terminalView, type RegistryContext } from './registry.service';
import { SubjectTokenPipe } from './subject-token.pipe';
import { holderNamed } from '../payments/visible-holder';

/**
 * The store and terminal registry over HTTP (`RegistryService` does the work). Writes need a key with
 * `registry` for the store.
 */
@ApiTags('registry')
@ApiBearerAuth()
@ApiProblems({
  400: 'VALIDATION_FAILED: an id that is not a subject token, or a bad body; nothing written',
  401: 'UNAUTHENTICATED',
  403: 'STORE_NOT_ALLOWED: the key may not act for this store, or has no registry right',
  404: 'UNKNOWN_STORE, UNKNOWN_TERMINAL',
  409: 'TERMINAL_BUSY: another device for a terminal while a payment, refund, operation or another device change holds it; TERMINAL_DEVICE_CHANGED: the terminal changed device while the request ran, send it again; nothing written',
  413: 'PAYLOAD_TOO_LARGE: a body over the limit (HTTP_BODY_LIMIT)',
  422:
    'TERMINAL_OF_OTHER_STORE (terminal names are global); DINTERO_REJECTED (names dinteroCode), ' +
    'DINTERO_STORE_DIFFERS, DINTERO_TERMINAL_DIFFERS, DINTERO_TERMINAL_NOT_FOUND, DINTERO_TERMINAL_OF_OTHER_STORE, DINTERO_TERMINAL_TAKEN; ' +
    'nothing written',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not application/json',
  429: 'RATE_LIMITED: more requests a minute than the key may make; retry after the time named',
  500: "EVENT_STORE_ACCESS_DENIED (the engine's log credentials), INTERNAL_ERROR",
  502: "DINTERO_UNEXPECTED_ANSWER: Dintero's answer cannot be recorded (an unknown terminal status); nothing written",
  503: `EVENT_STORE_UNAVAILABLE; DINTERO_UNAVAILABLE: nothing written (or, the log not answering, maybe written), the same request again finishes it (Retry-After); ${ENGINE_STARTING_DOC}`,
})
@UseGuards(PosAuthGuard)
@Controller('v1/stores')
export class RegistryController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly registry: RegistryService,
  ) {}

  /**
   * Registers a store or changes its details; 201 when it is new, 200 otherwise (the same body twice changes
   * nothing). The store is created at Dintero first when Dintero has none.
   */
  @Put(':storeId')
  @ApiCreatedResponse({ type: StoreView, description: 'A new store' })
  @ApiOkResponse({ type: StoreView, description: 'A store registered already, changed or not' })
  async putStore(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Body() body: PutStoreDto,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StoreView> {
    client.assertRegistry(storeId);
    const { created, view } = await this.registry.putStore(storeId, body, context(request, client));
    if (created) void reply.status(201);
    return view;
  }

  /**
   * Registers a terminal name to a store, with the device behind it at Dintero, or reactivates it. With
   * `deviceSerialNumber` the engine registers the device at Dintero (or finds it there); with
   * `dinteroTerminalId` it maps the name to a terminal Dintero has; with neither, Dintero must have a
   * terminal of that id. The POS then starts payments with the name; the engine sends Dintero its id.
   */
  @Put(':storeId/terminals/:terminalId')
  @ApiOkResponse({ type: StoreView })
  async putTerminal(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Param('terminalId', SubjectTokenPipe) terminalId: string,
    @Body() body: PutTerminalDto,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
  ): Promise<StoreView> {
    client.assertRegistry(storeId);
    return this.registry.putTerminal(storeId, terminalId, body ?? {}, context(request, client));
  }

  /**
   * Brings the store's terminals at Dintero (registered in its Backoffice, say) into the registry, each under
   * its Dintero id as its name. Idempotent: the same import again imports nothing new.
   */
  @Post(':storeId/terminals/import')
  @HttpCode(200)
  @ApiOkResponse({ type: TerminalImportView })
  async importTerminals(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
  ): Promise<TerminalImportView> {
    client.assertRegistry(storeId);
    return this.registry.importTerminals(storeId, context(request, client));
  }

  @Post(':storeId/terminals/:terminalId/deactivate')
  @HttpCode(200)
  @ApiOkResponse({ type: StoreView })
  async deactivateTerminal(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Param('terminalId', SubjectTokenPipe) terminalId: string,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
  ): Promise<StoreView> {
    client.assertRegistry(storeId);
    return this.registry.deactivateTerminal(storeId, terminalId, context(request, client));
  }

  @Get(':storeId')
  @ApiOkResponse({ type: StoreView })
  async getStore(@Param('storeId', SubjectTokenPipe) storeId: string, @Pos() client: PosClient): Promise<StoreView> {
    client.assertStore(storeId);
    return storeView(await this.registry.registeredStore(storeId));
  }

  /**
   * The terminal now: free, or held by a payment or refund until when, and its device's status at Dintero.
   * A POS that restarts learns here what its terminal is doing, and resumes with that payment's or refund's id.
   */
  @Get(':storeId/terminals/:terminalId')
  @ApiOkResponse({ type: TerminalView })
  async getTerminal(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Param('terminalId', SubjectTokenPipe) terminalId: string,
    @Pos() client: PosClient,
  ): Promise<TerminalView> {
    client.assertStore(storeId);
    const registered = ownEntry((await this.registry.registeredStore(storeId)).terminals, terminalId);
    if (!registered)
      throw new DomainError('UNKNOWN_TERMINAL', `Terminal ${terminalId} is not registered to store ${storeId}`, {
        storeId,
        terminalId,
      });
    const { state } = await readState(this.store, terminalStream(terminalId), terminalDecider);
    const claim =
      state.status === 'claimed' && Date.parse(state.claim.expiresAt) > Date.now() ? state.claim : undefined;
    // A refund of another store's payment is named to a key that may see that payment only.
    const named = claim !== undefined && (await holderNamed(this.store, claim, client));
    const { dintero } = terminalView(terminalId, registered);
    const activeAtDintero = dintero === undefined || dintero.status === 'ACTIVE';
    return {
      storeId,
      terminalId,
      active: registered.active,
      free: claim === undefined && registered.active && activeAtDintero,
      ...(dintero ? { dintero } : {}),
      ...(claim
        ? {
            holder: {
              kind: claim.kind,
              ...(claim.kind === 'operation'
                ? { operationId: claim.claimId }
                : claim.kind === 'device-change' || !named
                  ? {}
                  : { paymentId: claim.paymentId }),
              ...(claim.kind === 'refund' && named ? { refundId: claim.claimId } : {}),
              since: claim.claimedAt,
              until: claim.expiresAt,
            },
          }
        : {}),
    };
  }
}

function context(request: FastifyRequest, client: PosClient): RegistryContext {
  return { correlationId: String(request.id), posClientId: client.id, mayUse: (storeId) => client.mayUse(storeId) };
}
