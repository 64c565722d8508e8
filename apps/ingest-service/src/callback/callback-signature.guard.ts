import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { assertCallbackSigned } from '../delivery-signatures';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';

/**
 * `Dintero-Signature` whenever a callback secret is configured (`assertCallbackSigned`): otherwise 401 before
 * anything is read or written.
 */
@Injectable()
export class CallbackSignatureGuard implements CanActivate {
  constructor(@Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig) {}

  canActivate(context: ExecutionContext): boolean {
    assertCallbackSigned(this.config, context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }
}
