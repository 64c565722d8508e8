import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { HEALTH_PROBES, operationsModules } from '@app/platform';
import { AuthController } from './api/auth.controller';
import { ApiChaosInterceptor, BearerTokenGuard } from './api/api-guards';
import { DinteroErrorFilter } from './api/dintero-api.error';
import { SessionsController } from './api/sessions.controller';
import { TransactionsController } from './api/transactions.controller';
import { OperationsController } from './fleet/operations.controller';
import { TerminalOperationsService } from './fleet/terminal-operations.service';
import { ManagementController } from './fleet/management.controller';
import { TerminalFleetService } from './fleet/terminal-fleet.service';
import { ControlController } from './control/control.controller';
import { SeedService } from './control/seed.service';
import { DeliveryService } from './delivery/delivery.service';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from './dintero-simulator.config';
import { SimulatorClock } from './state/clock';
import { SimulatorRandom } from './state/random';
import { SimulatorState } from './state/simulator-state';
import { SimulatorStateFile } from './state/state-file';
import { StateSavedInterceptor } from './state/state-saved.interceptor';
import { SimulatorStateWrites } from './state/state-writes';
import { PaymentReports } from './terminals/payment-reports';
import { TerminalOutcomes } from './terminals/terminal-outcomes';
import { TerminalRefunds } from './terminals/terminal-refunds';
import { TerminalTimers } from './terminals/terminal-timers';
import { TransactionRecords } from './terminals/transaction-records';
import { VirtualTerminalsService } from './terminals/virtual-terminals.service';

@Module({})
export class DinteroSimulatorModule {
  static forRoot(config: DinteroSimulatorConfig): DynamicModule {
    return {
      module: DinteroSimulatorModule,
      imports: [
        // The simulator keeps its state in memory (and a file, when given) and depends on nothing: healthy when it answers.
        ...operationsModules('dintero-simulator', config.logLevel, { provide: HEALTH_PROBES, useValue: [] }),
      ],
      controllers: [
        AuthController,
        ManagementController,
        OperationsController,
        SessionsController,
        TransactionsController,
        ControlController,
      ],
      providers: [
        { provide: SIMULATOR_CONFIG, useValue: config },
        { provide: SimulatorRandom, useFactory: () => new SimulatorRandom(config.seed) },
        { provide: APP_FILTER, useClass: DinteroErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: StateSavedInterceptor },
        SimulatorState,
        SimulatorStateWrites,
        SimulatorStateFile,
        SimulatorClock,
        DeliveryService,
        TerminalTimers,
        TransactionRecords,
        PaymentReports,
        TerminalOutcomes,
        TerminalRefunds,
        VirtualTerminalsService,
        TerminalFleetService,
        TerminalOperationsService,
        SeedService,
        BearerTokenGuard,
        ApiChaosInterceptor,
      ],
    };
  }
}
