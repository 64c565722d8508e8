import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { verifyCallbackSignature } from '@app/dintero';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';

/**
 * `Dintero-Signature` (HMAC-SHA256 over time, account, method, host, path and sorted query; 5 minutes'
 * tolerance) whenever a callback secret is configured: otherwise 401 before anything is read or written.
 * The URL is the one Dintero called: our public URL's host with the path and query as received.
 */
@Injectable()
export class CallbackSignatureGuard implements CanActivate {
  constructor(@Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const secret = this.config.callbackSecret;
    if (!secret) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers['dintero-signature'];
    const check = verifyCallbackSignature(
      {
        accountId: this.config.dinteroAccountId,
        method: request.method,
        url: new URL(request.url, this.config.ingestPublicUrl),
      },
      typeof header === 'string' ? header : undefined,
      secret,
      Math.floor(Date.now() / 1000),
    );
    if (!check.valid) throw new HttpException({ code: 'INVALID_SIGNATURE', detail: check.reason }, 401);
    return true;
  }
}
