import type { HttpAppOptions } from '@app/platform';
import { OperatorNotAuthenticatedError } from './operators/operator';
import { OperatorSessions } from './operators/operator-sessions';

/** The projections app's HTTP identity, whether it runs alone (`main.ts`) or inside `apps/engine`. */
export const PROJECTIONS_HTTP_APP: HttpAppOptions = {
  name: 'projections',
  title: 'Projections',
  description: 'Per-terminal and per-store read models in NATS JetStream KV',
  // Each operator (by key or session) has its own allowance; everyone else shares their address's.
  rateLimitClient: (app) => {
    const sessions = app.get(OperatorSessions);
    return (headers) => {
      try {
        return sessions.authenticate(headers).operator.id;
      } catch (error) {
        if (error instanceof OperatorNotAuthenticatedError) return undefined;
        throw error;
      }
    };
  },
};
