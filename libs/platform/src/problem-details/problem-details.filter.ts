import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventStoreError, EventStoreStorageError } from '@app/event-store';
import { DomainError, type DomainErrorCode } from '@app/payment-domain';
import { describeFieldError, type FieldError } from '../config/validation-messages';

/** Every domain error's HTTP status, in one place (docs/design.md: Problem Details with a stable `code`). */
export const STATUS_OF: Readonly<Record<DomainErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNKNOWN_STORE: 404,
  UNKNOWN_TERMINAL: 404,
  PAYMENT_NOT_FOUND: 404,
  UNKNOWN_REFUND: 404,
  UNKNOWN_OPERATION: 404,
  TERMINAL_INACTIVE: 422,
  TERMINAL_NOT_ACTIVE_AT_DINTERO: 422,
  DINTERO_TERMINAL_TAKEN: 422,
  TERMINAL_OF_OTHER_STORE: 422,
  REFUND_TERMINAL_OTHER_PAYOUT_DESTINATION: 422,
  REFUND_EXCEEDS_CAPTURED: 422,
  TERMINAL_BUSY: 409,
  TERMINAL_DEVICE_CHANGED: 409,
  PAYMENT_EXISTS: 409,
  PAYMENT_FINISHED: 409,
  NOT_UNDER_REVIEW: 409,
  REVIEW_CHANGED: 409,
  NOT_REFUNDABLE: 409,
  NOT_VOIDABLE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  CURRENCY_NOT_ACCEPTED: 422,
  // Dintero's report of the payment's transaction cannot be booked (its currency is not the payment's): nothing was
  // recorded, and a 5xx makes Dintero deliver it again rather than give it up; the reconciler hands the payment to a
  // person if it never becomes bookable.
  TRANSACTION_IN_OTHER_CURRENCY: 503,
};

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

/**
 * Answers that say the app is not ready yet, not that a request failed: the read models not loaded, the check of another
 * log's engine not made (the log did not answer as the app started). The state itself is said where it is tried again
 * (`StartRetries`, at most once per doubling pause) and by `/health`, and `http_requests_total` counts the answers by
 * status: an error line per request would flood the log for as long as the log is away.
 */
const NOT_READY_CODES: ReadonlySet<string> = new Set(['READ_MODELS_NOT_READY', 'ENGINE_STARTING']);

/** A server error's problem logged as an error (a not-ready answer at debug only, `NOT_READY_CODES`); others not. */
export function logProblem(
  logger: Pick<Logger, 'error' | 'debug'>,
  problem: ProblemDetails,
  fields: Readonly<Record<string, unknown>>,
): void {
  if (problem.status < 500) return;
  const line = { ...fields, code: problem.code };
  if (NOT_READY_CODES.has(problem.code)) logger.debug(line, problem.detail);
  else logger.error(line, problem.detail);
}

/** Validation failures from DTOs: thrown by the validation pipe, answered as `VALIDATION_FAILED`. */
export class RequestValidationError extends HttpException {
  constructor(readonly errors: readonly FieldError[]) {
    super('Request validation failed', 400);
  }
}

/**
 * RFC 9457 Problem Details for every error an app answers over HTTP (and, through `toProblem`, over NATS):
 * domain errors by their code, event-log failures, validation, our own `HttpException({ code, detail })`,
 * and Fastify's refusals of malformed bodies.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const problem = this.toProblem(exception, request.url);
    logProblem(this.logger, problem, { err: exception });
    const reply = http.getResponse<FastifyReply>();
    // A problem that says when to try again (a request still running, say) says it in the header too.
    if (typeof problem.retryAfterSeconds === 'number')
      void reply.header('retry-after', String(problem.retryAfterSeconds));
    void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
  }

  toProblem(exception: unknown, instance: string): ProblemDetails {
    if (exception instanceof DomainError) {
      if (exception.code === 'VALIDATION_FAILED') return validationProblem(exception, instance);
      return problem(STATUS_OF[exception.code], exception.code, exception.message, instance, exception.details);
    }
    if (exception instanceof RequestValidationError) {
      const detail = exception.errors.map(describeFieldError).join('; ');
      return problem(400, 'VALIDATION_FAILED', detail, instance, { errors: exception.errors });
    }
    if (exception instanceof EventStoreError) {
      if (exception.code === 'WRONG_EXPECTED_REVISION')
        return problem(409, 'CONCURRENT_UPDATE', 'Too many concurrent changes; retry', instance);
      if (exception.code === 'INVALID_EVENT_STORE_INPUT')
        return problem(400, 'VALIDATION_FAILED', exception.message, instance, { errors: [] });
      // Definite failures that a retry will not change: nothing was recorded.
      if (exception.code === 'STREAM_DELETED')
        return problem(
          410,
          'STREAM_DELETED',
          'The record was deleted from the event log; nothing was recorded',
          instance,
        );
      if (exception.code === 'EVENT_STORE_ACCESS_DENIED')
        return problem(
          500,
          'EVENT_STORE_ACCESS_DENIED',
          'The engine is not allowed to use the event log (check its credentials); nothing was recorded',
          instance,
        );
      // The embedded log's disk refused the commit: that step was not written, and the request again (with its
      // idempotency key) goes on from the steps before it once there is room. Said so, rather than "cannot be
      // reached", so that a person sees at once what to free. Not "nothing was recorded": a start or refund may have
      // recorded its key and its hold on the terminal before the step that failed.
      if (exception instanceof EventStoreStorageError)
        return problem(
          503,
          'EVENT_STORE_UNAVAILABLE',
          `The event log could not write to its disk (${exception.storage}): the request did not complete; send the same request again, with the same idempotency key, once the disk takes writes`,
          instance,
          { retryAfterSeconds: 30 },
        );
      // With KurrentDB an append whose answer was lost may have been written: the request again finds what was.
      return problem(
        503,
        'EVENT_STORE_UNAVAILABLE',
        'The event log cannot be reached or did not answer; send the same request again to finish it',
        instance,
      );
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (isCoded(response)) {
        const { code, detail, ...extensions } = response;
        return problem(status, code, detail, instance, extensions);
      }
      // Validation errors have their own class; a bare 400 from the framework is a body it could not parse.
      const codes: Record<number, string> = {
        400: 'MALFORMED_REQUEST',
        404: 'NOT_FOUND',
        413: 'PAYLOAD_TOO_LARGE',
        415: 'UNSUPPORTED_MEDIA_TYPE',
        503: 'UNAVAILABLE',
      };
      // Terminus's 503 body names the dependency that is down: keep it.
      const details = status === 503 && typeof response === 'object' ? { details: response } : {};
      return problem(status, codes[status] ?? 'BAD_REQUEST', exception.message, instance, details);
    }
    // Fastify's own errors: malformed JSON, a body over the limit, a wrong content type.
    const fastify = exception as { statusCode?: number; code?: string; message?: string };
    if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
      const code =
        fastify.statusCode === 413
          ? 'PAYLOAD_TOO_LARGE'
          : fastify.statusCode === 415
            ? 'UNSUPPORTED_MEDIA_TYPE'
            : 'MALFORMED_REQUEST';
      return problem(fastify.statusCode, code, fastify.message ?? 'Malformed request', instance);
    }
    return problem(500, 'INTERNAL_ERROR', 'Unexpected error', instance);
  }
}

/**
 * A rule of the domain that refused a value: the same shape as a refused DTO field, `errors: [{ field,
 * message }]`, with the field the rule names (none for a refusal of the request as a whole).
 */
function validationProblem(error: DomainError, instance: string): ProblemDetails {
  const { field, ...rest } = (error.details ?? {}) as { field?: unknown } & Record<string, unknown>;
  const errors: FieldError[] = typeof field === 'string' ? [{ field, message: error.message }] : [];
  return problem(400, 'VALIDATION_FAILED', error.message, instance, { ...rest, errors });
}

/** The reason phrase of each status we answer with: the `title` of a problem whose `type` is `about:blank`. */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function problem(
  status: number,
  code: string,
  detail: string,
  instance: string,
  extensions: Record<string, unknown> = {},
): ProblemDetails {
  // Extensions first: a detail can never overwrite a standard member such as `status`. The type is
  // `about:blank` (RFC 9457 §4.2.1): the problem is the status's, and `code` says which one it is; every
  // code is listed in the README's error table.
  return {
    ...extensions,
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    instance,
  };
}

/** An error of ours thrown as `HttpException({ code, detail, ...extensions }, status)`. */
function isCoded(response: unknown): response is { code: string; detail: string } & Record<string, unknown> {
  const candidate = response as { code?: unknown; detail?: unknown } | null;
  return typeof candidate === 'object' && typeof candidate?.code === 'string' && typeof candidate.detail === 'string';
}
