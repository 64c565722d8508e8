import type { HttpAppOptions } from '@app/platform';
import { OperatorSessions } from './operators/operator-sessions';

/** The projections app's HTTP identity, whether it runs alone (`main.ts`) or inside `apps/engine`. */
export const PROJECTIONS_HTTP_APP: HttpAppOptions = {
  name: 'projections',
  title: 'Projections',
  description: 'Per-terminal and per-store read models in NATS JetStream KV',
  // Each operator (by key or session) has its own allowance; everyone else shares their address's.
  rateLimitClient: (app) => {
    const sessions = app.get(OperatorSessions);
    return (headers) => sessions.operatorOf(headers)?.id;
  },
};
