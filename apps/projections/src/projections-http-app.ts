import type { HttpAppOptions } from '@app/platform';

/** The projections app's HTTP identity, whether it runs alone (`main.ts`) or inside `apps/engine`. */
export const PROJECTIONS_HTTP_APP: HttpAppOptions = {
  name: 'projections',
  title: 'Projections',
  description: 'Per-terminal and per-store read models in NATS JetStream KV',
};
