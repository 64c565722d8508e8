import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { catchError, concatMap, from, type Observable } from 'rxjs';
import { SimulatorStateWrites } from './state-writes';

/** Methods that change nothing: answered without waiting for a write. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Holds the answer to every request that may change the state (its error too: a refusal may come after a change)
 * until the state is in SIM_STATE_FILE, so that what a client was answered survives a SIGKILL right after. A request
 * that changed nothing, with nothing else waiting to be written, is answered at once and costs no write. A write
 * that fails answers 500: the client retries, rather than take for kept what a restart would forget.
 */
@Injectable()
export class StateSavedInterceptor implements NestInterceptor {
  constructor(private readonly writes: SimulatorStateWrites) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (READS.has(context.switchToHttp().getRequest<FastifyRequest>().method)) return next.handle();
    return next.handle().pipe(
      concatMap(async (answer: unknown) => {
        await this.writes.settled();
        return answer;
      }),
      catchError((error: unknown) =>
        from(
          this.writes.settled().then(() => {
            throw error;
          }),
        ),
      ),
    );
  }
}
