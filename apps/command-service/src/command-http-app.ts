import type { HttpAppOptions } from '@app/platform';
import { PosCredentials } from './auth/pos-credentials.service';

/** The command service's HTTP identity, whether it runs alone (`main.ts`) or inside `apps/engine`. */
export const COMMAND_HTTP_APP: HttpAppOptions = {
  name: 'command-service',
  title: 'Command service',
  description: 'POS-facing API: start, follow, cancel and refund terminal payments; the store and terminal registry',
  // Each POS client has its own allowance; requests without a key any client holds share their address's.
  rateLimitClient: (app) => {
    const credentials = app.get(PosCredentials);
    return (headers) => credentials.clientOf(headers.authorization)?.id;
  },
};
