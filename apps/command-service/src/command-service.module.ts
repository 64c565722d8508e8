import { ReviewController } from './payments/review/review.controller';
import { ResolveReviewHandler } from './payments/review/resolve-review.handler';
import { FaultPoints } from './fault-points';
import { PaymentLookup } from './payments/list/payment-lookup.service';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import {
  appInfrastructure,
  dinteroClientProvider,
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
import { OutcomeReader } from './payments/get/outcome-reader.service';
import { PaymentsController } from './payments/payments.controller';
import { StartTerminalPaymentHandler } from './payments/start/start-terminal-payment.handler';
import { DinteroOnboarding } from './registry/dintero-onboarding.service';
import { RegistryService } from './registry/registry.service';
import { StartTerminalOperationHandler } from './operations/start-terminal-operation.handler';
import { TerminalOperationsController } from './operations/terminal-operations.controller';
import { TerminalOperations } from './operations/terminal-operations.service';
import { UsableTerminals } from './registry/usable-terminals.service';
import { RegistryController } from './registry/registry.controller';
import { PosAuthGuard } from './auth/pos-auth.guard';
import { ShutdownSignal } from './shutdown-signal';
import { loadPosClients } from './auth/pos-clients.file';
import { PosCredentials } from './auth/pos-credentials.service';
import { PosClientsReloader } from './auth/pos-clients.reloader';
import { VisibleHolderInterceptor } from './payments/visible-holder.interceptor';

@Module({})
export class CommandServiceModule {
  static forRoot(config: CommandServiceConfig, shared: SharedInfrastructure = {}): DynamicModule {
    // Read at start-up, so that a missing or broken key file stops the service with a clear message; read
    // again whenever it changes (PosClientsReloader).
    const posClients = loadPosClients(config.posClientsFile);
    return {
      module: CommandServiceModule,
      imports: appInfrastructure('command-service', config, shared, { refuseAnotherLog: true }),
      controllers: [RegistryController, PaymentsController, ReviewController, TerminalOperationsController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useValue: requestValidation },
        { provide: APP_INTERCEPTOR, useClass: VisibleHolderInterceptor },
        { provide: COMMAND_CONFIG, useValue: config },
        dinteroClientProvider(config),
        { provide: PosCredentials, useValue: new PosCredentials(posClients) },
        PosClientsReloader,
        PosAuthGuard,
        ShutdownSignal,
        FaultPoints,
        UsableTerminals,
        StartTerminalOperationHandler,
        TerminalOperations,
        DinteroOnboarding,
        RegistryService,
        StartTerminalPaymentHandler,
        IdempotentRequests,
        CancelTerminalPaymentHandler,
        RefundTerminalPaymentHandler,
        ResolveReviewHandler,
        NatsCommandsService,
        PaymentNotifier,
        PaymentLookup,
        OutcomeReader,
      ],
    };
  }
}
