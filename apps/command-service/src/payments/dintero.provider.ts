import type { Provider } from '@nestjs/common';
import { DinteroClient } from '@app/dintero';
import type { CommandServiceConfig } from '../command-service.config';

export const DINTERO_CLIENT = Symbol('DINTERO_CLIENT');
export const COMMAND_CONFIG = Symbol('COMMAND_CONFIG');

export function dinteroProvider(config: CommandServiceConfig): Provider {
  return {
    provide: DINTERO_CLIENT,
    useFactory: () =>
      new DinteroClient({
        accountId: config.dinteroAccountId,
        clientId: config.dinteroClientId,
        clientSecret: config.dinteroClientSecret,
        apiUrl: config.dinteroApiUrl,
        checkoutUrl: config.dinteroCheckoutUrl,
        timeoutMs: config.dinteroTimeoutMs,
      }),
  };
}
