import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { NATS_CONNECTION, natsNames } from '@app/messaging';
import { validationMessages } from '@app/platform';
import type { CommandServiceConfig } from '../command-service.config';
import { IdempotentRequests } from '../idempotency/idempotent-requests.service';
import { CancelTerminalPaymentHandler } from '../payments/cancel/cancel-terminal-payment.handler';
import { COMMAND_CONFIG } from '../payments/dintero.provider';
import { RefundTerminalPaymentHandler } from '../payments/refund/refund-terminal-payment.handler';
import { StartTerminalPaymentHandler } from '../payments/start/start-terminal-payment.handler';
import { ProblemDetailsFilter, RequestValidationError } from '../problem-details/problem-details.filter';
import { CancelCommandMessage, RefundCommandMessage, StartCommandMessage } from './nats-command.messages';

/** What every command subject answers: the HTTP status and body the same request gets over HTTP. */
export interface CommandReply {
  readonly status: number;
  readonly body: unknown;
}

const QUEUE = 'command-service';

/**
 * `payments.v1.cmd.start|cancel|refund` (DESIGN.md), request/reply, with the HTTP handlers themselves.
 * nats.js directly rather than `@MessagePattern`: the subjects carry the configured prefix, which a
 * decorator's static string cannot. A queue group spreads requests over the command-service instances.
 */
@Injectable()
export class NatsCommandsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NatsCommandsService.name);
  private readonly problems = new ProblemDetailsFilter();
  private readonly subscriptions: Subscription[] = [];

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
    private readonly starter: StartTerminalPaymentHandler,
    private readonly canceller: CancelTerminalPaymentHandler,
    private readonly refunder: RefundTerminalPaymentHandler,
    private readonly idempotency: IdempotentRequests,
  ) {}

  onApplicationBootstrap(): void {
    const { commands } = natsNames(this.config.natsPrefix);
    this.listen(commands.start, StartCommandMessage, (message, context) =>
      this.idempotency.run(
        context.posClientId,
        message.idempotencyKey,
        message.payment,
        { correlationId: context.correlationId, instance: commands.start },
        () => this.starter.prepare(message.payment, context),
        async (prepared) => {
          const outcome = await this.starter.execute(prepared);
          return { status: outcome.kind === 'created' ? 201 : 202, body: outcome.payment };
        },
      ),
    );
    this.listen(commands.cancel, CancelCommandMessage, async (message, context) => {
      const outcome = await this.canceller.cancel(message.paymentId, context);
      return { status: outcome.kind === 'pending' ? 202 : 200, body: outcome.payment };
    });
    this.listen(commands.refund, RefundCommandMessage, (message, context) =>
      this.idempotency.run(
        context.posClientId,
        message.idempotencyKey,
        { paymentId: message.paymentId, ...message.refund },
        { correlationId: context.correlationId, instance: commands.refund },
        () => this.refunder.prepare(message.paymentId, message.refund, context),
        async (prepared) => ({ status: 201, body: await this.refunder.execute(prepared) }),
      ),
    );
  }

  onApplicationShutdown(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  private listen<Message extends object>(
    subject: string,
    schema: new () => Message,
    handle: (message: Message, context: { correlationId: string; posClientId: string }) => Promise<CommandReply>,
  ): void {
    const subscription = this.nats.subscribe(subject, {
      queue: QUEUE,
      callback: (error, msg) => {
        if (error) {
          this.logger.error({ err: error, subject }, 'NATS subscription failed');
          return;
        }
        void this.answer(msg, schema, handle);
      },
    });
    this.subscriptions.push(subscription);
  }

  private async answer<Message extends object>(
    msg: Msg,
    schema: new () => Message,
    handle: (message: Message, context: { correlationId: string; posClientId: string }) => Promise<CommandReply>,
  ): Promise<void> {
    const correlationId = msg.headers?.get('x-correlation-id') || randomUUID();
    let reply: CommandReply;
    try {
      const message = await this.parse(msg, schema);
      // POS credentials are not in place yet: as over HTTP, the client is recorded as unauthenticated.
      reply = await handle(message, { correlationId, posClientId: 'unauthenticated' });
    } catch (error) {
      const problem = this.problems.toProblem(error, msg.subject);
      if (problem.status >= 500) this.logger.error({ err: error, subject: msg.subject, correlationId }, problem.detail);
      reply = { status: problem.status, body: problem };
    }
    if (msg.reply) msg.respond(JSON.stringify(reply));
  }

  private async parse<Message extends object>(msg: Msg, schema: new () => Message): Promise<Message> {
    let raw: unknown;
    try {
      raw = JSON.parse(msg.string());
    } catch {
      throw Object.assign(new Error('The message is not JSON'), { statusCode: 400 });
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new RequestValidationError(['The message must be a JSON object']);
    const message = plainToInstance(schema, raw);
    const errors = await validate(message, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw new RequestValidationError(validationMessages(errors));
    return message;
  }
}
