import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  DomainError,
  storeDecider,
  storeStream,
  terminalDecider,
  terminalStream,
  type StoreCommand,
  type StoreState,
} from '@app/payment-domain';
import { ApiProblems } from '@app/platform';
import { Pos, PosAuthGuard } from '../auth/pos-auth.guard';
import type { PosClient } from '../auth/pos-client';
import { PutStoreDto, StoreView, TerminalView } from './registry.dto';
import { SubjectTokenPipe } from './subject-token.pipe';
import { now } from '../clock';

/**
 * The store and terminal registry: `store-{storeId}` streams, written through the store decider, and each
 * terminal's store on its `terminal-{terminalId}` stream. Writes need a key with `registry` for the store.
 */
@ApiTags('registry')
@ApiBearerAuth()
@ApiProblems({
  400: 'VALIDATION_FAILED: an id that is not a subject token, or a bad body; nothing written',
  401: 'UNAUTHENTICATED',
  403: 'STORE_NOT_ALLOWED: the key may not act for this store, or has no registry right',
  404: 'UNKNOWN_STORE, UNKNOWN_TERMINAL',
  422: 'TERMINAL_OF_OTHER_STORE: terminal ids are global',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not application/json',
  429: 'RATE_LIMITED: more requests a minute than the key may make; retry after the time named',
  500: "EVENT_STORE_ACCESS_DENIED (the engine's log credentials), INTERNAL_ERROR",
  503: 'EVENT_STORE_UNAVAILABLE',
})
@UseGuards(PosAuthGuard)
@Controller('v1/stores')
export class RegistryController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Registers a store or changes its details; 201 when it is new, 200 otherwise (the same body twice changes nothing). */
  @Put(':storeId')
  @ApiOkResponse({ type: StoreView })
  async putStore(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Body() body: PutStoreDto,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StoreView> {
    client.assertRegistry(storeId);
    const { events, state } = await this.handle(
      storeId,
      { type: 'RegisterStore', data: { storeId, ...body, at: now() } },
      request,
      client,
    );
    if (events.some((event) => event.type === 'StoreRegistered')) void reply.status(201);
    return view(state);
  }

  /**
   * Registers a terminal to a store (or reactivates it). A terminal registered to another store is refused
   * with `TERMINAL_OF_OTHER_STORE`: terminal ids are global.
   */
  @Put(':storeId/terminals/:terminalId')
  @ApiOkResponse({ type: StoreView })
  async putTerminal(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Param('terminalId', SubjectTokenPipe) terminalId: string,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
  ): Promise<StoreView> {
    client.assertRegistry(storeId);
    await this.registeredStore(storeId);
    // The terminal's store first: a crash between the two writes leaves a terminal assigned but not yet
    // listed, which the same PUT again completes.
    await handleCommand(
      this.store,
      terminalStream(terminalId),
      terminalDecider,
      { type: 'AssignTerminal', data: { terminalId, storeId, at: now() } },
      { metadata: metadata(request, client, { storeId, terminalId }) },
    );
    const { state } = await this.handle(
      storeId,
      { type: 'RegisterTerminal', data: { storeId, terminalId, at: now() } },
      request,
      client,
    );
    return view(state);
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
    const { state } = await this.handle(
      storeId,
      { type: 'DeactivateTerminal', data: { storeId, terminalId, at: now() } },
      request,
      client,
    );
    return view(state);
  }

  @Get(':storeId')
  @ApiOkResponse({ type: StoreView })
  async getStore(@Param('storeId', SubjectTokenPipe) storeId: string, @Pos() client: PosClient): Promise<StoreView> {
    client.assertStore(storeId);
    return view(await this.registeredStore(storeId));
  }

  /**
   * The terminal now: free, or held by a payment or refund until when. A POS that restarts learns here what
   * its terminal is doing, and resumes with that payment's or refund's id.
   */
  @Get(':storeId/terminals/:terminalId')
  @ApiOkResponse({ type: TerminalView })
  async getTerminal(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Param('terminalId', SubjectTokenPipe) terminalId: string,
    @Pos() client: PosClient,
  ): Promise<TerminalView> {
    client.assertStore(storeId);
    const registered = (await this.registeredStore(storeId)).terminals[terminalId];
    if (!registered)
      throw new DomainError('UNKNOWN_TERMINAL', `Terminal ${terminalId} is not registered to store ${storeId}`, {
        storeId,
        terminalId,
      });
    const { state } = await readState(this.store, terminalStream(terminalId), terminalDecider);
    const claim =
      state.status === 'claimed' && Date.parse(state.claim.expiresAt) > Date.now() ? state.claim : undefined;
    return {
      storeId,
      terminalId,
      active: registered.active,
      free: claim === undefined && registered.active,
      ...(claim
        ? {
            holder: {
              kind: claim.kind,
              paymentId: claim.paymentId,
              ...(claim.kind === 'refund' ? { refundId: claim.claimId } : {}),
              since: claim.claimedAt,
              until: claim.expiresAt,
            },
          }
        : {}),
    };
  }

  private async registeredStore(storeId: string): Promise<Extract<StoreState, { status: 'registered' }>> {
    const { state } = await readState(this.store, storeStream(storeId), storeDecider);
    if (state.status !== 'registered')
      throw new DomainError('UNKNOWN_STORE', `Store ${storeId} is not registered`, { storeId });
    return state;
  }

  private handle(storeId: string, command: StoreCommand, request: FastifyRequest, client: PosClient) {
    return handleCommand(this.store, storeStream(storeId), storeDecider, command, {
      metadata: metadata(request, client, { storeId }),
    });
  }
}

function metadata(request: FastifyRequest, client: PosClient, ids: Record<string, string>) {
  const correlationId = String(request.id);
  return { correlationId, causationId: correlationId, occurredAt: now(), posClientId: client.id, ...ids };
}

function view(state: StoreState): StoreView {
  if (state.status !== 'registered') throw new DomainError('UNKNOWN_STORE', 'Store is not registered');
  return {
    ...state.details,
    terminals: Object.entries(state.terminals).map(([terminalId, { active }]) => ({ terminalId, active })),
  };
}
