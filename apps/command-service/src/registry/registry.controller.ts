import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import { DomainError, storeDecider, storeStream, type StoreCommand, type StoreState } from '@app/payment-domain';
import { PutStoreDto, StoreView } from './registry.dto';
import { SubjectTokenPipe } from './subject-token.pipe';
import { now } from '../clock';

/** The store and terminal registry: `store-{storeId}` streams, written through the store decider. */
@ApiTags('registry')
@Controller('v1/stores')
export class RegistryController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Registers a store or changes its details; 201 when it is new, 200 otherwise (the same body twice changes nothing). */
  @Put(':storeId')
  @ApiOkResponse({ type: StoreView })
  async putStore(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Body() body: PutStoreDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StoreView> {
    const { events, state } = await this.handle(
      storeId,
      { type: 'RegisterStore', data: { storeId, ...body, at: now() } },
      request,
    );
    if (events.some((event) => event.type === 'StoreRegistered')) void reply.status(201);
    return view(state);
  }

  @Put(':storeId/terminals/:terminalId')
  @ApiOkResponse({ type: StoreView })
  async putTerminal(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Param('terminalId', SubjectTokenPipe) terminalId: string,
    @Req() request: FastifyRequest,
  ): Promise<StoreView> {
    const { state } = await this.handle(
      storeId,
      { type: 'RegisterTerminal', data: { storeId, terminalId, at: now() } },
      request,
    );
    return view(state);
  }

  @Post(':storeId/terminals/:terminalId/deactivate')
  @HttpCode(200)
  @ApiOkResponse({ type: StoreView })
  async deactivateTerminal(
    @Param('storeId', SubjectTokenPipe) storeId: string,
    @Param('terminalId', SubjectTokenPipe) terminalId: string,
    @Req() request: FastifyRequest,
  ): Promise<StoreView> {
    const { state } = await this.handle(
      storeId,
      { type: 'DeactivateTerminal', data: { storeId, terminalId, at: now() } },
      request,
    );
    return view(state);
  }

  @Get(':storeId')
  @ApiOkResponse({ type: StoreView })
  async getStore(@Param('storeId', SubjectTokenPipe) storeId: string): Promise<StoreView> {
    const { state } = await readState(this.store, storeStream(storeId), storeDecider);
    if (state.status !== 'registered')
      throw new DomainError('UNKNOWN_STORE', `Store ${storeId} is not registered`, { storeId });
    return view(state);
  }

  private handle(storeId: string, command: StoreCommand, request: FastifyRequest) {
    const correlationId = String(request.id);
    return handleCommand(this.store, storeStream(storeId), storeDecider, command, {
      metadata: { correlationId, causationId: correlationId, occurredAt: now(), storeId },
    });
  }
}

function view(state: StoreState): StoreView {
  if (state.status !== 'registered') throw new DomainError('UNKNOWN_STORE', 'Store is not registered');
  return {
    ...state.details,
    terminals: Object.entries(state.terminals).map(([terminalId, { active }]) => ({ terminalId, active })),
  };
}
