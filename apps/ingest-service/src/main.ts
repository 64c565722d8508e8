import 'reflect-metadata';
import { bootstrap } from '@app/platform';
import { IngestServiceConfig } from './ingest-service.config';
import { IngestServiceModule } from './ingest-service.module';

bootstrap(IngestServiceConfig, (config) => IngestServiceModule.forRoot(config), {
  name: 'ingest-service',
  title: 'Ingest service',
  description: "Dintero's callbacks and webhooks, recorded as events exactly once; the reconciler",
});
