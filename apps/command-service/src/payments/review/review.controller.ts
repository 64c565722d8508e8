import { Body, Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblems, ENGINE_STARTING_DOC } from '@app/platform';
import { Pos, PosAuthGuard } from '../../auth/pos-auth.guard';
import type { PosClient } from '../../auth/pos-client';
import { uuidParam } from '../uuid-param';
import { ResolveReviewDto } from './resolve-review.dto';
import { ResolveReviewHandler } from './resolve-review.handler';
import { ReviewResolutionView } from './review-resolution.view';

/**
 * The back office's word on a payment or refund handed to a person (the store's `review`, the dashboard): dealt
 * with. It leaves the review list; the engine does not hand the same cause over again. Needs a key with `registry`
 * for the payment's store.
 */
@ApiTags('reviews')
@ApiBearerAuth()
@ApiProblems({
  400: 'VALIDATION_FAILED, MALFORMED_REQUEST: a bad id or body (a note empty, blank or over 500 characters); nothing written',
  401: 'UNAUTHENTICATED: no API key, or an unknown one',
  403: "STORE_NOT_ALLOWED: the key has no registry right for the payment's store (detail: it may not resolve reviews)",
  404: 'PAYMENT_NOT_FOUND (also a payment of a store the key may not use: answered as an unknown id), UNKNOWN_REFUND',
  409: 'NOT_UNDER_REVIEW: nothing of it waits for a person, the detail saying why (never handed over; resolved already, with another note or by another key; or Dintero told how it stands since, the same note again included: flaggedAt, paymentStatus); REVIEW_CHANGED: the flag named (flaggedAt) is not the one standing, handed over again since; or, naming none, the same note by the same key was recorded on an earlier flag than the one standing (a retry of a request whose answer was lost: flaggedAt, the flag the note was on, and standing; name the standing flag to resolve it); nothing written. CONCURRENT_UPDATE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not application/json',
  429: 'RATE_LIMITED: more requests a minute than the key may make; retry after the time named',
  500: "EVENT_STORE_ACCESS_DENIED (the engine's log credentials), INTERNAL_ERROR",
  503: `EVENT_STORE_UNAVAILABLE: the log did not take or did not answer; send the same note again; ${ENGINE_STARTING_DOC}`,
})
@UseGuards(PosAuthGuard)
@Controller('v1/terminal-payments')
export class ReviewController {
  constructor(private readonly resolver: ResolveReviewHandler) {}

  /** The payment's own review dealt with: 200 with the resolution (the first, for the same note again). */
  @Post(':paymentId/review/resolve')
  @HttpCode(200)
  @ApiOkResponse({ type: ReviewResolutionView })
  resolvePayment(
    @Param('paymentId', uuidParam('paymentId')) paymentId: string,
    @Body() body: ResolveReviewDto,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
  ): Promise<ReviewResolutionView> {
    return this.resolver.resolve(paymentId, undefined, body, { correlationId: String(request.id), client });
  }

  /** A refund's review dealt with; its amount stays committed until Dintero says how it ended. */
  @Post(':paymentId/refunds/:refundId/review/resolve')
  @HttpCode(200)
  @ApiOkResponse({ type: ReviewResolutionView })
  resolveRefund(
    @Param('paymentId', uuidParam('paymentId')) paymentId: string,
    @Param('refundId', uuidParam('refundId')) refundId: string,
    @Body() body: ResolveReviewDto,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
  ): Promise<ReviewResolutionView> {
    return this.resolver.resolve(paymentId, refundId, body, { correlationId: String(request.id), client });
  }
}
