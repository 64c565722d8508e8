import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PosCredentials } from './pos-credentials.service';
import type { PosClient } from './pos-client';

export type AuthenticatedRequest = FastifyRequest & { posClient?: PosClient };

/** Every POS endpoint: a known API key, or 401 before any handler runs. */
@Injectable()
export class PosAuthGuard implements CanActivate {
  constructor(private readonly credentials: PosCredentials) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.posClient = this.credentials.authenticate(request.headers.authorization);
    // For the request's log line (the client's id: never its key).
    (request.raw as { posClientId?: string }).posClientId = request.posClient.id;
    return true;
  }
}

/** The POS client the guard authenticated. */
export const Pos = createParamDecorator((_data: unknown, context: ExecutionContext): PosClient => {
  const client = context.switchToHttp().getRequest<AuthenticatedRequest>().posClient;
  if (!client) throw new Error('PosAuthGuard did not run for this route');
  return client;
});
