import { Controller, Get, Inject, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthIndicatorFunction } from '@nestjs/terminus';
import { withTimeout } from '@app/messaging';

/** A named check an app contributes to `GET /health`. */
export interface HealthProbe {
  readonly name: string;
  check(): Promise<void>;
}

export const HEALTH_PROBES = Symbol('HEALTH_PROBES');
const PROBE_TIMEOUT_MS = 2_000;

@ApiTags('operations')
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(HEALTH_PROBES) private readonly probes: readonly HealthProbe[],
  ) {}

  /** 200 when every dependency answers, 503 naming the one that does not. */
  @Get()
  @HealthCheck()
  check() {
    const indicators: HealthIndicatorFunction[] = this.probes.map((probe) => async () => {
      const started = Date.now();
      try {
        await withTimeout(probe.check(), PROBE_TIMEOUT_MS, `${probe.name} did not answer`);
        return { [probe.name]: { status: 'up' as const, responseTimeMs: Date.now() - started } };
      } catch (error) {
        return { [probe.name]: { status: 'down' as const, message: (error as Error).message } };
      }
    });
    return this.health.check(indicators);
  }
}

/**
 * `GET /health`. Probes are plain objects provided by the app (see `eventStoreProbe`, `natsProbe`),
 * so that a lib needs no Terminus indicator class of its own.
 */
@Module({})
export class HealthModule {
  static forRoot(probes: Provider<HealthProbe[]>): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [probes],
    };
  }
}
