import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { assertWebhookSigned } from '../delivery-signatures';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';

/** `event-signature` over the raw body whenever a webhook secret is configured (`assertWebhookSigned`). */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(@Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { rawBody?: Buffer }>();
    assertWebhookSigned(this.config, request, request.rawBody ?? Buffer.alloc(0));
    return true;
  }
}
