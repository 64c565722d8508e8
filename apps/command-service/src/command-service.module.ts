import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENT_STORE, EventStoreModule, eventStoreProbe, type EventStore } from '@app/event-store';
import { NATS_CONNECTION, NatsModule, natsProbe } from '@app/messaging';
import {
  dinteroClientProvider,
  HEALTH_PROBES,
  operationsModules,
  ProblemDetailsFilter,
  requestValidation,
  type SharedInfrastructure,
} from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig } from './command-service.config';
import { IdempotentRequests } from './idempotency/idempotent-requests.service';
import { NatsCommandsService } from './nats/nats-commands.service';
import { CancelTerminalPaymentHandler } from './payments/cancel/cancel-terminal-payment.handler';
import { RefundTerminalPaymentHandler } from './payments/refund/refund-terminal-payment.handler';
import { PaymentNotifier } from './payments/get/payment-notifier';
import { PaymentsController } from './payments/payments.controller';
import { StartTerminalPaymentHandler } from './payments/start/start-terminal-payment.handler';
import { RegistryController } from './registry/registry.controller';
import { PosAuthGuard } from './auth/pos-auth.guard';
import { ShutdownSignal } from './shutdown-signal';
import { loadPosClients } from './auth/pos-clients.file';
import { PosCredentials } from './auth/pos-credentials.service';

@Module({})
export class CommandServiceModule {
  static forRoot(config: CommandServiceConfig, shared: SharedInfrastructure = {}): DynamicModule {
    // Read at start-up, so that a missing or broken key file stops the service with a clear message.
    const posClients = loadPosClients(config.posClientsFile);
    return {
      module: CommandServiceModule,
      imports: [
        EventStoreModule.forRoot(config.eventStoreUrl, shared.eventStore),
        NatsModule.forRoot(config.natsUrl, 'command-service', shared.nats),
        ...operationsModules(
          'command-service',
          config.logLevel,
          {
            provide: HEALTH_PROBES,
            inject: [EVENT_STORE, NATS_CONNECTION],
            useFactory: (store: EventStore, nats: NatsConnection) => [eventStoreProbe(store), natsProbe(nats)],
          },
          shared.logName,
        ),
      ],
      controllers: [RegistryController, PaymentsController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useValue: requestValidation },
        { provide: COMMAND_CONFIG, useValue: config },
        dinteroClientProvider(config),
        { provide: PosCredentials, useValue: new PosCredentials(posClients) },
        PosAuthGuard,
        ShutdownSignal,
        StartTerminalPaymentHandler,
        IdempotentRequests,
        CancelTerminalPaymentHandler,
        RefundTerminalPaymentHandler,
        NatsCommandsService,
        PaymentNotifier,
      ],
    };
  }
}
