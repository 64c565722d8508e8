import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { appInfrastructure, dinteroClientProvider, type SharedInfrastructure } from '@app/platform';
import { CallbackController } from './callback/callback.controller';
import { CallbackSignatureGuard } from './callback/callback-signature.guard';
import { PaymentFacts } from './facts/payment-facts.service';
import { IngestProblemsFilter } from './ingest.errors';
import { INGEST_CONFIG, type IngestServiceConfig } from './ingest-service.config';
import { NightlyClose } from './fleet/nightly-close.service';
import { OperationsReconciler } from './operations/operations-reconciler.service';
import { TerminalStatusFollower } from './fleet/terminal-status.follower';
import { LeasedLogDependencies } from './fleet/leased-log-worker';
import { ReconcilerService } from './reconciler/reconciler.service';
import { WebhookController } from './webhook/webhook.controller';
import { WebhookSignatureGuard } from './webhook/webhook-signature.guard';

@Module({})
export class IngestServiceModule {
  static forRoot(config: IngestServiceConfig, shared: SharedInfrastructure = {}): DynamicModule {
    warnIfUnsigned(config);
    return {
      module: IngestServiceModule,
      // Dintero's deliveries are taken while NATS is down (only the reconciler's leases and checkpoint use it),
      // so NATS is not in ingest's /health: a load balancer must not turn callbacks away for it.
      imports: appInfrastructure('ingest-service', config, shared, { natsInHealth: false, refuseAnotherLog: true }),
      controllers: [CallbackController, WebhookController],
      providers: [
        { provide: APP_FILTER, useClass: IngestProblemsFilter },
        { provide: INGEST_CONFIG, useValue: config },
        dinteroClientProvider(config),
        CallbackSignatureGuard,
        WebhookSignatureGuard,
        PaymentFacts,
        ReconcilerService,
        LeasedLogDependencies,
        TerminalStatusFollower,
        OperationsReconciler,
        NightlyClose,
      ],
    };
  }
}

/** Unsigned deliveries are accepted only where no secret is set: fine on one machine, never in production. */
function warnIfUnsigned(config: IngestServiceConfig): void {
  const logger = new Logger('IngestService');
  if (!config.callbackSecret)
    logger.warn('DINTERO_CALLBACK_SECRET is not set: callbacks are accepted WITHOUT a signature check');
  if (!config.webhookSecret)
    logger.warn('DINTERO_WEBHOOK_SECRET is not set: webhooks are accepted WITHOUT a signature check');
}
