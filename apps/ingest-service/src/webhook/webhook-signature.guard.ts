import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { verifyWebhookSignature } from '@app/dintero';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';

/** `event-signature`: HMAC-SHA1 of the raw body with the subscription's secret, whenever one is configured. */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(@Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const secret = this.config.webhookSecret;
    if (!secret) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { rawBody?: Buffer }>();
    const header = request.headers['event-signature'];
    const check = verifyWebhookSignature(
      request.rawBody ?? Buffer.alloc(0),
      typeof header === 'string' ? header : undefined,
      secret,
    );
    if (!check.valid) throw new HttpException({ code: 'INVALID_SIGNATURE', detail: check.reason }, 401);
    return true;
  }
}
