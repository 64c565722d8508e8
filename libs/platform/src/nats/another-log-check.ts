import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { HealthProbe } from '../health/health.module';

export const ANOTHER_LOG_CHECK = Symbol('ANOTHER_LOG_CHECK');

/** How long a caller is asked to wait before it sends the same request again (`Retry-After`). */
const RETRY_AFTER_SECONDS = 5;

/**
 * Whether the app has made sure that no engine of another event log runs on its NATS prefix: `AnotherLogGuard` for
 * an app run apart, the projector's start for `apps/engine` (one check, shared by its three apps). The log out of
 * reach as the app starts delays the check (`StartRetries`), and until it is made the command service and ingest take
 * nothing (`AnotherLogGate` over HTTP; over NATS the command service is not yet in its queue group), and their
 * background workers neither write the log nor NATS (`StartRetries.startOnceChecked`): a command taken, a Dintero fact
 * recorded, or a worker's close or settlement written into the log of an engine that is not the one its POS systems
 * and read models use could not be taken back. Once made, it stays made: a refusal found by a later try stops the app.
 */
export class AnotherLogCheck {
  /** Resolved by `pass`. */
  private readonly passed: Promise<void>;
  private resolvePassed!: () => void;

  constructor(private made = false) {
    this.passed = new Promise<void>((resolve) => (this.resolvePassed = resolve));
    if (made) this.resolvePassed();
  }

  get checked(): boolean {
    return this.made;
  }

  /**
   * Resolves once the check is made (at once when it is), for what waits for it rather than refusing meanwhile: a
   * background worker, the command service's NATS subscriptions. Never rejects: a refusal stops the app, whose stop
   * ends those waits.
   */
  get whenChecked(): Promise<void> {
    return this.passed;
  }

  /** `/health` down until the check is made, the app taking no request meanwhile. */
  probe(): HealthProbe {
    return {
      name: 'another-log-check',
      check: () =>
        this.made
          ? Promise.resolve()
          : Promise.reject(
              new Error(
                'not checked yet that no engine of another event log uses the NATS prefix: requests are answered 503 ENGINE_STARTING',
              ),
            ),
    };
  }

  /** The check is made: requests are taken from now on. */
  pass(): void {
    this.made = true;
    this.resolvePassed();
  }

  /**
   * 503 `ENGINE_STARTING` with `Retry-After` until the check is made: nothing was recorded, and the same request
   * again (with its idempotency key) does the work once it is. Dintero delivers a callback or webhook again after a
   * 5xx (never after a 4xx).
   */
  refuseUntilChecked(): void {
    if (this.made) return;
    throw new HttpException(
      {
        code: 'ENGINE_STARTING',
        detail:
          'The engine is starting: it has not yet made sure that no engine of another event log uses its NATS ' +
          `prefix (the event log did not answer). Nothing was recorded; send the same request again in ${RETRY_AFTER_SECONDS} s`,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      },
      503,
    );
  }
}

/** The OpenAPI description of `ENGINE_STARTING`, which every route of the command service and ingest may answer. */
export const ENGINE_STARTING_DOC =
  'ENGINE_STARTING: the engine is starting and has not yet made sure that no engine of another event log uses its ' +
  `NATS prefix (the log did not answer): nothing recorded, send the same request again (Retry-After: ${RETRY_AFTER_SECONDS})`;

/**
 * Every HTTP route of the app but `/health` and `/metrics` (which probes and scrapers poll, and which say why the app
 * is not ready) answers `ENGINE_STARTING` until the check is made (`AnotherLogCheck`). A global guard, so that it runs
 * before the routes' own (authentication, Dintero's signatures) and no route added later is left out.
 */
@Injectable()
export class AnotherLogGate implements CanActivate {
  constructor(@Inject(ANOTHER_LOG_CHECK) private readonly check: AnotherLogCheck) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.check.checked || context.getType() !== 'http') return true;
    const { url } = context.switchToHttp().getRequest<FastifyRequest>();
    if (/^\/(health|metrics)(\?|\/|$)/.test(url)) return true;
    this.check.refuseUntilChecked();
    return true;
  }
}
