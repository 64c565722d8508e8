import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENT_STORE, EventStoreModule, eventStoreProbe, type EventStore } from '@app/event-store';
import { NATS_CONNECTION, NatsModule, natsProbe } from '@app/messaging';
import { HEALTH_PROBES, operationsModules } from '@app/platform';
import type { CommandServiceConfig } from './command-service.config';
import { ProblemDetailsFilter } from './problem-details/problem-details.filter';
import { requestValidation } from './problem-details/validation.pipe';
import { IdempotentRequests } from './idempotency/idempotent-requests.service';
import { NatsCommandsService } from './nats/nats-commands.service';
import { CancelTerminalPaymentHandler } from './payments/cancel/cancel-terminal-payment.handler';
import { COMMAND_CONFIG, dinteroProvider } from './payments/dintero.provider';
import { RefundTerminalPaymentHandler } from './payments/refund/refund-terminal-payment.handler';
import { PaymentsController } from './payments/payments.controller';
import { StartTerminalPaymentHandler } from './payments/start/start-terminal-payment.handler';
import { RegistryController } from './registry/registry.controller';

@Module({})
export class CommandServiceModule {
  static forRoot(config: CommandServiceConfig): DynamicModule {
    return {
      module: CommandServiceModule,
      imports: [
        EventStoreModule.forRoot(config.eventStoreUrl),
        NatsModule.forRoot(config.natsUrl, 'command-service'),
        ...operationsModules('command-service', config.logLevel, {
          provide: HEALTH_PROBES,
          inject: [EVENT_STORE, NATS_CONNECTION],
          useFactory: (store: EventStore, nats: NatsConnection) => [eventStoreProbe(store), natsProbe(nats)],
        }),
      ],
      controllers: [RegistryController, PaymentsController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useValue: requestValidation },
        { provide: COMMAND_CONFIG, useValue: config },
        dinteroProvider(config),
        StartTerminalPaymentHandler,
        IdempotentRequests,
        CancelTerminalPaymentHandler,
        RefundTerminalPaymentHandler,
        NatsCommandsService,
      ],
    };
  }
}
