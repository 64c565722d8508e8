import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { catchError, concatMap, defer, from, type Observable } from 'rxjs';
import { DinteroApiError } from '../api/dintero-api.error';
import { SimulatorStateWrites } from './state-writes';

/** Dintero's APIs and the control API: what shows or changes the state (not `/health`, not `/metrics`). */
const STATEFUL = /^\/(v1|_control)\//;

/**
 * Holds the answer to every request that shows or may change the state (its error too: a refusal may come after a
 * change) until the state is in SIM_STATE_FILE, so that what a client was answered survives a SIGKILL right after.
 * A read too: it may show the change of another request whose write is still under way, and Dintero never shows what
 * it may yet lose (the engine would record a capture that a restarted simulator no longer has). A request that
 * changed nothing, with nothing else waiting to be written, is answered at once and costs no write. A write that
 * fails answers 500, as Dintero's 5xx: the outcome unknown to the client, which retries or asks again.
 *
 * After a write that failed, the state in memory holds what the file does not (that request's change, kept: no undo
 * of the changes made in place across the services, their timers and their deliveries). Until a write succeeds
 * again nothing shows it and nothing adds to it: every request to the APIs first tries the write, and is answered
 * 503 without being run while it still fails (`DeliveryService` holds callbacks and webhooks likewise). Once the
 * disk takes the write, that change is kept and shows, as a Dintero 5xx after the request took effect would.
 */
@Injectable()
export class StateSavedInterceptor implements NestInterceptor {
  constructor(private readonly writes: SimulatorStateWrites) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!STATEFUL.test(request.url)) return next.handle();
    return defer(() => this.writableAgain()).pipe(concatMap(() => this.answeredOnceSaved(next)));
  }

  private answeredOnceSaved(next: CallHandler): Observable<unknown> {
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

  /** At once unless the last write failed; then once a write of everything succeeds, else 503. */
  private async writableAgain(): Promise<void> {
    if (!this.writes.failing()) return;
    try {
      await this.writes.saved();
    } catch {
      throw new DinteroApiError(
        503,
        'SERVICE_UNAVAILABLE',
        'The simulator cannot write its state file (SIM_STATE_FILE): nothing is read or changed until it can',
      );
    }
  }
}
