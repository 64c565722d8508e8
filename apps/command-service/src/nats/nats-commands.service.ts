import { TerminalOperations } from '../operations/terminal-operations.service';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { Match, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION, natsNames } from '@app/messaging';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import {
  ANOTHER_LOG_CHECK,
  CORRELATION_HEADER,
  correlationIdFrom,
  NatsResponders,
  parseMessage,
  replyTo,
  type AnotherLogCheck,
  type Reply,
} from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../command-service.config';
import { PosCredentials } from '../auth/pos-credentials.service';
import { IdempotentRequests } from '../idempotency/idempotent-requests.service';
import type { CommandContext } from '../payments/command-context';
import { CancelTerminalPaymentHandler } from '../payments/cancel/cancel-terminal-payment.handler';
import { RefundTerminalPaymentHandler } from '../payments/refund/refund-terminal-payment.handler';
import { refundAsTaken } from '../payments/refund/refund-terminal-payment.dto';
import { StartTerminalPaymentHandler } from '../payments/start/start-terminal-payment.handler';
import { ResolveReviewHandler } from '../payments/review/resolve-review.handler';
import {
  CancelCommandMessage,
  GetOperationMessage,
  GetPaymentMessage,
  GetRefundMessage,
  ListPaymentsMessage,
  OperateCommandMessage,
  RefundCommandMessage,
  ResolveReviewCommandMessage,
  StartCommandMessage,
} from './nats-command.messages';
import { PaymentLookup } from '../payments/list/payment-lookup.service';
import { OutcomeReader } from '../payments/get/outcome-reader.service';
import { busyAsSeenBy } from '../payments/visible-holder';
import { NatsRateLimit } from './nats-rate-limit';

/** What every command subject answers: the HTTP status and body the same request gets over HTTP. */
export type CommandReply = Reply;

const QUEUE = 'command-service';

/**
 * `payments.v1.cmd.start|cancel|refund|operate|resolve-review` (docs/design.md), request/reply, with the HTTP handlers
 * themselves.
 * nats.js directly rather than `@MessagePattern`: the subjects carry the configured prefix, which a
 * decorator's static string cannot. A queue group spreads requests over the command-service instances; an instance
 * joins it only once it takes commands (`onApplicationBootstrap`).
 */
@Injectable()
export class NatsCommandsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NatsCommandsService.name);
  private readonly responders: NatsResponders;
  private readonly rateLimit: NatsRateLimit;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
    private readonly starter: StartTerminalPaymentHandler,
    private readonly canceller: CancelTerminalPaymentHandler,
    private readonly refunder: RefundTerminalPaymentHandler,
    private readonly resolver: ResolveReviewHandler,
    private readonly lookup: PaymentLookup,
    private readonly reader: OutcomeReader,
    private readonly idempotency: IdempotentRequests,
    private readonly credentials: PosCredentials,
    private readonly operations: TerminalOperations,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANOTHER_LOG_CHECK) private readonly anotherLog: AnotherLogCheck,
  ) {
    this.responders = new NatsResponders(nats, QUEUE, this.logger);
    this.rateLimit = new NatsRateLimit(config.natsRateLimitPerMinute);
  }

  /**
   * Joins the queue group once the app has made sure that no engine of another log runs on its NATS prefix
   * (`AnotherLogCheck`; the log out of reach as the app starts delays it). A member still starting took its share of
   * the requests only to answer them 503 `ENGINE_STARTING`, while an instance that was ready could have answered them;
   * until it joins, NATS gives them to the other instances (with none, the caller is told there are no responders,
   * as when no instance runs). Over HTTP the 503 stays: a load balancer takes the instance out by its `/health`.
   */
  onApplicationBootstrap(): void {
    this.responders.subscribeWhenReady(
      this.anotherLog.checked,
      this.anotherLog.whenChecked,
      () => this.subscribe(),
      'could not subscribe to the NATS commands once the engine had started',
    );
  }

  private subscribe(): void {
    const { commands } = natsNames(this.config.natsPrefix);
    this.listen(commands.start, StartCommandMessage, (message, context) =>
      this.idempotency
        .run(
          context.client.id,
          message.idempotencyKey,
          // The DTO, as over HTTP; versions before compared it so too.
          { asTaken: message.payment },
          { correlationId: context.correlationId, instance: commands.start },
          this.starter.steps(message.payment, context),
        )
        .then(asReply),
    );
    this.listen(commands.cancel, CancelCommandMessage, async (message, context) => {
      const outcome = await this.canceller.cancel(message.paymentId, context);
      return { status: outcome.kind === 'pending' ? 202 : 200, body: outcome.payment };
    });
    this.listen(commands.refund, RefundCommandMessage, (message, context) =>
      this.idempotency
        .run(
          context.client.id,
          message.idempotencyKey,
          {
            asTaken: refundAsTaken(message.paymentId, message.refund),
            asSentBefore: [{ paymentId: message.paymentId, ...message.refund }],
          },
          { correlationId: context.correlationId, instance: commands.refund },
          this.refunder.steps(message.paymentId, message.refund, context),
        )
        .then(asReply),
    );
    this.listen(commands.operate, OperateCommandMessage, async (message, context) => {
      const { storeId, terminalId, operation, idempotencyKey } = message;
      if (terminalId === undefined)
        return {
          status: 202,
          body: await this.operations.startStore(storeId, operation, idempotencyKey, context, commands.operate),
        };
      return asReply(
        await this.idempotency.run(
          context.client.id,
          idempotencyKey,
          { asTaken: { storeId, terminalId, ...operation } },
          { correlationId: context.correlationId, instance: commands.operate },
          this.operations.steps(storeId, terminalId, operation, context),
        ),
      );
    });
    // No idempotency key, as over HTTP: the same note again is the same resolution, and writes nothing.
    this.listen(commands.resolveReview, ResolveReviewCommandMessage, async (message, context) => ({
      status: 200,
      body: await this.resolver.resolve(message.paymentId, message.refundId, message.resolution, context),
    }));
    this.listenToQueries();
  }

  /** Not commands, but answered here: they need a POS key, and their answers are the HTTP ones. */
  private listenToQueries(): void {
    const { queries } = natsNames(this.config.natsPrefix);
    this.listen(queries.payments, ListPaymentsMessage, async (message, context) => ({
      status: 200,
      body: await this.lookup.list(message.query, context.client),
    }));
    this.listen(queries.payment, GetPaymentMessage, async (message, context) => ({
      status: 200,
      body: await this.reader.payment(message.paymentId, message, context.client),
    }));
    this.listen(queries.refund, GetRefundMessage, async (message, context) => ({
      status: 200,
      body: await this.reader.refund(message.paymentId, message.refundId, message, context.client),
    }));
    this.listen(queries.operation, GetOperationMessage, async (message, context) => ({
      status: 200,
      body: await this.reader.operation(message.operationId, message, context.client),
    }));
  }

  /**
   * Before the log and NATS close: the requests already taken are answered (`NatsResponders.close`), those that
   * wait for an outcome at once, with the state as it is (`ShutdownSignal` has ended their waits by then).
   */
  beforeApplicationShutdown(): Promise<void> {
    return this.responders.close();
  }

  private listen<Message extends object>(
    subject: string,
    schema: new () => Message,
    handle: (message: Message, context: CommandContext) => Promise<CommandReply>,
  ): void {
    this.responders.on(subject, (msg) => this.answer(msg, schema, handle));
  }

  private answer<Message extends object>(
    msg: Msg,
    schema: new () => Message,
    handle: (message: Message, context: CommandContext) => Promise<CommandReply>,
  ): Promise<void> {
    // As over HTTP: the caller's id when it is well-formed, whatever case the header is written in.
    const correlationId = correlationIdFrom(msg.headers?.get(CORRELATION_HEADER, Match.IgnoreCase) || undefined);
    return replyTo(
      msg,
      async () => {
        // The same API key as over HTTP, in the message's `Authorization` header.
        const client = this.credentials.authenticate(msg.headers?.get('authorization', Match.IgnoreCase) || undefined);
        await this.rateLimit.admit(client.id);
        const message = await parseMessage(msg, schema, this.config.bodyLimit);
        // A refusal as the key may see it, as over HTTP (`VisibleHolderInterceptor`).
        return handle(message, { correlationId, client }).catch(async (error: unknown) => {
          throw await busyAsSeenBy(error, this.store, client);
        });
      },
      this.logger,
      { correlationId },
    );
  }
}

/** The documented reply, `{ status, body }`, and nothing of the idempotency bookkeeping beside it. */
function asReply({ status, body }: { status: number; body: unknown }): { status: number; body: unknown } {
  return { status, body };
}
