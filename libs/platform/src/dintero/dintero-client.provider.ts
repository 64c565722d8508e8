import type { Provider } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { DINTERO_CLIENT, DinteroClient } from '@app/dintero';
import { METRICS_REGISTRY } from '../metrics/metrics.module';
import { paymentMetrics } from '../metrics/payment-metrics';

/** The settings `withDintero` adds to an app's configuration. */
export interface DinteroConnectionSettings {
  readonly dinteroAccountId: string;
  readonly dinteroClientId: string;
  readonly dinteroClientSecret: string;
  readonly dinteroApiUrl: string;
  readonly dinteroCheckoutUrl: string;
  readonly dinteroTimeoutMs: number;
}

/** One Dintero client per app, so that every caller shares its cached token; its calls are timed in metrics. */
export function dinteroClientProvider(settings: DinteroConnectionSettings): Provider {
  return {
    provide: DINTERO_CLIENT,
    inject: [METRICS_REGISTRY],
    useFactory: (registry: Registry) => {
      const { dinteroSeconds } = paymentMetrics(registry);
      return new DinteroClient({
        accountId: settings.dinteroAccountId,
        clientId: settings.dinteroClientId,
        clientSecret: settings.dinteroClientSecret,
        apiUrl: settings.dinteroApiUrl,
        checkoutUrl: settings.dinteroCheckoutUrl,
        timeoutMs: settings.dinteroTimeoutMs,
        observe: ({ operation, outcome, seconds }) => dinteroSeconds.observe({ operation, outcome }, seconds),
      });
    },
  };
}
