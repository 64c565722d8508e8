import type { HttpAppOptions } from '@app/platform';
import { CALLBACK_PATH, signedDeliveries, WEBHOOK_PATH } from './delivery-signatures';
import { INGEST_CONFIG, type IngestServiceConfig } from './ingest-service.config';

/** How the ingest service's HTTP app is made, by `main.ts` and by the tests alike. */
export const INGEST_HTTP_APP: HttpAppOptions = {
  name: 'ingest-service',
  title: 'Ingest service',
  description: "Dintero's callbacks and webhooks, recorded as events exactly once; the reconciler",
  // Dintero retries a callback after a 5xx only, never after a 4xx: over the limit, it must come back.
  rateLimitStatus: 503,
  beforeParse: (app) => signedDeliveries(app.get<IngestServiceConfig>(INGEST_CONFIG)),
  foreignBodyRoutes: [CALLBACK_PATH, WEBHOOK_PATH],
};
